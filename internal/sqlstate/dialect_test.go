package sqlstate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDollar: each ? becomes $n, numbered from 1 in order (PostgreSQL's
// placeholders); a query without ? is returned as is.
func TestDollar(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE id = ?", "SELECT a FROM t WHERE id = $1"},
		{"INSERT INTO t (a, b, c) VALUES (?, ?, ?)", "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"},
		{"? ? ? ? ? ? ? ? ? ? ?", "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11"},
	} {
		if diff := cmp.Diff(tc.want, Dollar(tc.in)); diff != "" {
			t.Errorf("Dollar(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
