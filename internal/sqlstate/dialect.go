package sqlstate

import (
	"strconv"
	"strings"
)

// Dialect is what differs between the SQL engines the Store runs on.
// Rebind, ForUpdate, Lock and SkipLocked may be left empty (SQLite's
// single writer needs none of them); every other field must be set.
type Dialect struct {
	// Name prefixes the store's error messages ("sqlite", "postgres").
	Name string
	// Rebind rewrites a query written with ? placeholders into the
	// engine's own (nil: unchanged). See Dollar.
	Rebind func(query string) string
	// Greatest and Least are the scalar functions of the larger and
	// smaller of two values ("MAX" and "MIN" in SQLite, "GREATEST" and
	// "LEAST" in PostgreSQL).
	Greatest, Least string
	// Seq is the column that orders rows by insertion where a table has no
	// other ("rowid" in SQLite, a sequence column "seq" in PostgreSQL).
	Seq string
	// ForUpdate is appended to a SELECT whose rows the transaction then
	// changes (" FOR UPDATE" in PostgreSQL; SQLite's single writer needs
	// none).
	ForUpdate string
	// Lock is a statement taking a transaction-level lock on a text key
	// (first argument) in a key space (second argument, an integer), held
	// until the commit, e.g. PostgreSQL's
	// "SELECT pg_advisory_xact_lock(hashtextextended(CAST(? AS TEXT), ?))".
	// Empty for an engine with a single writer (SQLite), where every write
	// transaction already excludes the others. The key spaces: 0 the
	// alert groups, 1 the feedback of a session, 2 the quarantine budgets.
	Lock string
	// Position is the function giving the 1-based position of its second
	// argument in its first ("instr" in SQLite, "strpos" in PostgreSQL).
	Position string
	// ByteLength is the function giving the length in bytes of a blob
	// ("length" in SQLite, "octet_length" in PostgreSQL).
	ByteLength string
	// JSONArray is a subquery of the elements of the JSON array of strings
	// given as its one argument ("SELECT value FROM json_each(?)" in
	// SQLite, "SELECT jsonb_array_elements_text(CAST(? AS JSONB))" in
	// PostgreSQL).
	JSONArray string
	// SkipLocked is appended to the SELECT by which the outbox claim reads
	// due deliveries (" FOR UPDATE SKIP LOCKED" in PostgreSQL, so that
	// instances claiming at once pass over each other's rows; empty in
	// SQLite).
	SkipLocked string
}

// rebind applies d.Rebind, if any.
func (d *Dialect) rebind(q string) string {
	if d.Rebind == nil {
		return q
	}
	return d.Rebind(q)
}

// Dollar turns the ? placeholders of a query into PostgreSQL's $1, $2, …
// (the store's queries contain no other question mark).
func Dollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
