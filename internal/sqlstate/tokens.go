package sqlstate

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balance-pt/balance"
)

// CreateAPIToken keeps a new API token of a user (its hash) and returns it
// without the secret.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name, tokenHash string) (balance.APIToken, error) {
	now := s.Now()
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		userID, name, tokenHash, now.UnixNano()).Scan(&id)
	if err != nil {
		return balance.APIToken{}, s.errorf("create api token: %w", err)
	}
	return balance.APIToken{ID: id, UserID: userID, Name: name, CreatedAt: now.UTC()}, nil
}

// APITokenUser returns the user of a token that is not revoked, of a user
// who is not disabled, noting its use; EUNAUTHORIZED otherwise.
func (s *Store) APITokenUser(ctx context.Context, tokenHash string) (balance.User, error) {
	var u balance.User
	var created, id int64
	err := s.db.QueryRowContext(ctx, `SELECT t.id, u.id, u.username, u.password_hash, u.role, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at = 0 AND NOT u.disabled`, tokenHash).Scan(&id, &u.ID, &u.Username, &u.PasswordHash, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, balance.Errorf(balance.EUNAUTHORIZED, "unknown or revoked API token")
	}
	if err != nil {
		return u, s.errorf("api token: %w", err)
	}
	u.CreatedAt = time.Unix(0, created).UTC()
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, s.Now().UnixNano(), id); err != nil {
		return u, s.errorf("api token use: %w", err)
	}
	return u, nil
}

// APITokens lists a user's tokens, newest first (never their secrets).
func (s *Store) APITokens(ctx context.Context, userID int64) ([]balance.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	if err != nil {
		return nil, s.errorf("api tokens: %w", err)
	}
	defer rows.Close()
	var out []balance.APIToken
	for rows.Next() {
		var t balance.APIToken
		var created, used, revoked int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &created, &used, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt = time.Unix(0, created).UTC()
		if used > 0 {
			t.LastUsedAt = time.Unix(0, used).UTC()
		}
		if revoked > 0 {
			t.RevokedAt = time.Unix(0, revoked).UTC()
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken revokes a user's token; ENOTFOUND if the user has no such
// token (revoking twice is fine).
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ? AND user_id = ?`,
		s.Now().UnixNano(), id, userID)
	if err != nil {
		return s.errorf("revoke api token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return balance.Errorf(balance.ENOTFOUND, "no API token %d of yours", id)
	}
	return nil
}
