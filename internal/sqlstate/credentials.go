package sqlstate

import (
	"context"
	"database/sql"
	"errors"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/mqttauth"
)

var _ balance.DeviceCredentials = (*Store)(nil)

// IssueDeviceSecret implements balance.DeviceCredentials: a new random
// secret replaces the device's old one (which stops working at once); only
// its hashes are kept.
func (s *Store) IssueDeviceSecret(ctx context.Context, deviceID string) (string, error) {
	if _, err := s.Device(ctx, deviceID); err != nil {
		return "", err
	}
	secret := mqttauth.NewSecret()
	mh, err := mqttauth.MosquittoHash(secret)
	if err != nil {
		return "", err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO device_credentials (device_id, secret_sha256, mosquitto_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(device_id) DO UPDATE SET secret_sha256 = excluded.secret_sha256, mosquitto_hash = excluded.mosquitto_hash, created_at = excluded.created_at`,
		deviceID, mqttauth.SecretSHA256(secret), mh, s.Now().UnixNano())
	if err != nil {
		return "", s.errorf("issue secret of %s: %w", deviceID, err)
	}
	return secret, nil
}

// CheckDeviceSecret implements balance.DeviceCredentials.
func (s *Store) CheckDeviceSecret(ctx context.Context, deviceID, secret string) (bool, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT secret_sha256 FROM device_credentials WHERE device_id = ?`, deviceID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.errorf("check secret of %s: %w", deviceID, err)
	}
	return mqttauth.SecretMatches(secret, h), nil
}

// MosquittoHashes implements balance.DeviceCredentials: device id to the
// hash in Mosquitto's password-file format, for every device with a secret.
func (s *Store) MosquittoHashes(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, mosquitto_hash FROM device_credentials ORDER BY device_id`)
	if err != nil {
		return nil, s.errorf("device credentials: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		out[id] = h
	}
	return out, rows.Err()
}
