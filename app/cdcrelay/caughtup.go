package cdcrelay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"clouddrive/pkg/cdc"

	"github.com/go-mysql-org/go-mysql/mysql"
	_ "github.com/go-sql-driver/mysql" // the server's position
)

// WaitCaughtUp waits until the relay has published every change the server
// had written when it was called: its stored position reaches the server's
// current one (the position moves on past every transaction and DDL,
// relayed or not). A TRUNCATE writes no row to the binlog, so whoever
// empties the tables between tests waits for this, and then for cachesync
// (cachesync.WaitCaughtUp), before flushing Redis: nothing written before
// the truncation can then reach Redis after the flush.
func WaitCaughtUp(ctx context.Context, c *Config) error {
	b := c.GetBinlog()
	db, err := sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s)/", b.GetUser(), b.GetPassword(), b.GetAddr()))
	if err != nil {
		return err
	}
	defer db.Close()
	target, err := masterPos(ctx, db)
	if err != nil {
		return err
	}
	pos := positionFile{b.GetPositionFile()}
	for {
		at, ok, err := pos.load()
		if err != nil {
			return err
		}
		if ok && at.Compare(target) >= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cdcrelay: stored position %s, the server is at %s: %w", at, target, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// masterPos is the server's current binlog position (SHOW MASTER STATUS:
// File and Position first, whatever follows on MySQL or MariaDB).
func masterPos(ctx context.Context, db *sql.DB) (mysql.Position, error) {
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return mysql.Position{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return mysql.Position{}, err
	}
	if !rows.Next() {
		return mysql.Position{}, errors.New("cdcrelay: SHOW MASTER STATUS is empty: the binlog is off")
	}
	vals := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return mysql.Position{}, err
	}
	var p mysql.Position
	p.Name = string(vals[0])
	if _, err := fmt.Sscan(string(vals[1]), &p.Pos); err != nil {
		return mysql.Position{}, fmt.Errorf("cdcrelay: SHOW MASTER STATUS position %q: %w", vals[1], err)
	}
	return p, rows.Err()
}

// CaughtUpMain is `cdcrelay caught-up [-conf FILE] [-wait D]`: WaitCaughtUp
// with cdcrelay's configuration, for scripts (deploy/local/cluster.sh empty).
func CaughtUpMain(args []string) int {
	return cdc.CaughtUpMain("cdcrelay", "the binlog", args, LoadConfig, WaitCaughtUp)
}
