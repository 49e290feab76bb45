package database

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"

	"clouddrive/pkg/testkit"
)

func TestRetryableByErrorNumberNotText(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"deadlock":                {fmt.Errorf("create: %w", &mysql.MySQLError{Number: 1213, Message: "Deadlock found"}), true},
		"lock wait timeout":       {&mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}, true},
		"duplicate key":           {&mysql.MySQLError{Number: 1062, Message: "Duplicate entry"}, false},
		"text that looks like it": {errors.New("Error 1213: Deadlock found when trying to get lock"), false},
		"nil":                     {nil, false},
	}
	for name, c := range cases {
		if got := Retryable(c.err); got != c.want {
			t.Errorf("%s: Retryable = %v, want %v", name, got, c.want)
		}
	}
}

// A real lock wait timeout from MariaDB is recognised by its number.
func TestRetryableOnARealLockWaitTimeout(t *testing.T) {
	db, err := Open(Config{Driver: "mysql", Source: testkit.MySQL(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)").Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO t VALUES (1, 0)").Error; err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	holder := db.WithContext(ctx).Begin()
	defer holder.Rollback()
	if err := holder.Exec("UPDATE t SET v = 1 WHERE id = 1").Error; err != nil {
		t.Fatal(err)
	}
	waiter := db.WithContext(ctx).Begin()
	defer waiter.Rollback()
	if err := waiter.Exec("SET SESSION innodb_lock_wait_timeout = 1").Error; err != nil {
		t.Fatal(err)
	}
	err = waiter.Exec("UPDATE t SET v = 2 WHERE id = 1").Error
	if err == nil {
		t.Fatal("the second writer was not blocked")
	}
	if !Retryable(err) {
		t.Fatalf("lock wait timeout not retryable: %v", err)
	}
}
