package sqlstate

import (
	"context"
	"database/sql"
	"errors"

	"github.com/balance-pt/balance"
)

// UprightAxes returns every device's stored upright axis.
func (s *Store) UprightAxes(ctx context.Context) (map[string]balance.UprightAxis, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_id, up_x, up_y, up_z, learned_ns FROM device_upright_axes`)
	if err != nil {
		return nil, s.errorf("upright axes: %w", err)
	}
	defer rows.Close()
	out := map[string]balance.UprightAxis{}
	for rows.Next() {
		var id string
		var a balance.UprightAxis
		if err := rows.Scan(&id, &a.Up[0], &a.Up[1], &a.Up[2], &a.LearnedNS); err != nil {
			return nil, s.errorf("upright axes: %w", err)
		}
		out[id] = a
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("upright axes: %w", err)
	}
	return out, nil
}

// UprightAxis returns one device's stored upright axis, the zero value when
// none is stored.
func (s *Store) UprightAxis(ctx context.Context, deviceID string) (balance.UprightAxis, error) {
	var a balance.UprightAxis
	err := s.db.QueryRowContext(ctx, `SELECT up_x, up_y, up_z, learned_ns FROM device_upright_axes WHERE device_id = ?`, deviceID).
		Scan(&a.Up[0], &a.Up[1], &a.Up[2], &a.LearnedNS)
	if errors.Is(err, sql.ErrNoRows) {
		return balance.UprightAxis{}, nil
	}
	if err != nil {
		return a, s.errorf("upright axis of %s: %w", deviceID, err)
	}
	return a, nil
}

// SaveUprightAxis stores a device's upright axis (zero Up: forgotten)
// unless one learned or forgotten later (a larger LearnedNS) is stored
// already: an older walk analysed late never replaces a newer axis.
func (s *Store) SaveUprightAxis(ctx context.Context, deviceID string, a balance.UprightAxis) error {
	if deviceID == "" {
		return balance.Errorf(balance.EINVALID, "upright axis: device id is required")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO device_upright_axes (device_id, up_x, up_y, up_z, learned_ns, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(device_id) DO UPDATE SET up_x = excluded.up_x, up_y = excluded.up_y, up_z = excluded.up_z,
			learned_ns = excluded.learned_ns, updated_at = excluded.updated_at
		WHERE excluded.learned_ns >= device_upright_axes.learned_ns`,
		deviceID, a.Up[0], a.Up[1], a.Up[2], a.LearnedNS, s.Now().UnixNano())
	if err != nil {
		return s.errorf("save upright axis of %s: %w", deviceID, err)
	}
	return nil
}
