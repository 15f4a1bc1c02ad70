package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
)

// instanceLocks is the first key of the advisory locks (two-key form) by
// which running instances show they are alive; the second is the
// instance's id.
const instanceLocks int32 = 0x62616c61 // "bala"

// liveInstances is a subquery of the ids of the instances running on this
// database: those holding their advisory lock (pg_locks shows a two-key
// advisory lock with objsubid 2, the keys in classid and objid).
var liveInstances = `SELECT objid::BIGINT FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
	AND classid = ` + strconv.Itoa(int(instanceLocks)) + ` AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`

// instance is one open StateDB: a random id, alive while one connection
// of its pool holds the advisory lock (instanceLocks, id). The lock goes
// when the process stops or dies (PostgreSQL ends the session), which is
// how Recover tells a stopped instance's deliveries from a running one's.
type instance struct {
	id   int32
	conn *pgxpool.Conn
}

// register picks a free id and takes its lock on a connection kept out
// of the pool.
func register(ctx context.Context, pool *pgxpool.Pool) (*instance, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: register instance: %w", err)
	}
	for range 16 {
		id := rand.Int32N(1<<31-1) + 1
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, instanceLocks, id).Scan(&ok); err != nil {
			conn.Release()
			return nil, fmt.Errorf("postgres: register instance: %w", err)
		}
		if ok {
			return &instance{id: id, conn: conn}, nil
		}
	}
	conn.Release()
	return nil, fmt.Errorf("postgres: register instance: no free instance id")
}

// release gives the lock and its connection back.
func (in *instance) release() {
	if in.conn == nil {
		return
	}
	// Closing the connection ends the session, and with it the lock.
	in.conn.Hijack().Close(context.Background())
	in.conn = nil
}
