package database

import (
	"context"
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"clouddrive/pkg/telemetry"
)

// What a request costs the database, per database: the statements it ran
// and the transactions it committed or rolled back (on SQLite each write
// transaction is a WAL sync). A write outside any transaction is one of its
// own and counts as one.
var (
	Statements = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_db_statements_total", Help: "SQL statements run, by database and kind."},
		[]string{"db", "op"})
	Transactions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clouddrive_db_transactions_total", Help: "Transactions begun, and writes outside one, by database."},
		[]string{"db"})
)

func init() { telemetry.Registry.MustRegister(Statements, Transactions) }

// counting is a gorm plugin that counts statements (one callback per
// statement, whether prepared or not) and writes outside a transaction.
type counting struct{ name string }

func (counting) Name() string { return "clouddrive:counting" }

func (c counting) Initialize(db *gorm.DB) error {
	txs := Transactions.WithLabelValues(c.name)
	count := func(op string, write bool) func(*gorm.DB) {
		n := Statements.WithLabelValues(c.name, op)
		return func(tx *gorm.DB) {
			if tx.DryRun || tx.Statement.SQL.Len() == 0 {
				return
			}
			n.Inc()
			if _, inTx := tx.Statement.ConnPool.(gorm.TxCommitter); write && !inTx {
				txs.Inc()
			}
		}
	}
	const commit = "gorm:commit_or_rollback_transaction"
	cb := db.Callback()
	for _, err := range []error{
		// Before the default transaction's commit, which puts the pool back.
		cb.Create().After("gorm:create").Before(commit).Register("count:create", count("insert", true)),
		cb.Query().After("gorm:query").Register("count:query", count("select", false)),
		cb.Update().After("gorm:update").Before(commit).Register("count:update", count("update", true)),
		cb.Delete().After("gorm:delete").Before(commit).Register("count:delete", count("delete", true)),
		cb.Row().After("gorm:row").Register("count:row", count("select", false)),
		cb.Raw().After("gorm:raw").Register("count:raw", count("exec", true)),
	} {
		if err != nil {
			return err
		}
	}
	db.ConnPool = &countingPool{ConnPool: db.ConnPool, begun: txs}
	db.Statement.ConnPool = db.ConnPool
	return nil
}

// countingPool counts the transactions begun on the pool.
type countingPool struct {
	gorm.ConnPool
	begun prometheus.Counter
}

func (p *countingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	var (
		tx  gorm.ConnPool
		err error
	)
	switch b := p.ConnPool.(type) {
	case gorm.ConnPoolBeginner:
		tx, err = b.BeginTx(ctx, opts)
	case gorm.TxBeginner:
		var t *sql.Tx
		t, err = b.BeginTx(ctx, opts)
		if err == nil {
			tx = t
		}
	default:
		return nil, gorm.ErrInvalidTransaction
	}
	if err == nil {
		p.begun.Inc()
	}
	return tx, err
}

// GetDBConn keeps db.DB() working through the wrapper.
func (p *countingPool) GetDBConn() (*sql.DB, error) {
	switch c := p.ConnPool.(type) {
	case *sql.DB:
		return c, nil
	case gorm.GetDBConnector:
		return c.GetDBConn()
	}
	return nil, gorm.ErrInvalidDB
}
