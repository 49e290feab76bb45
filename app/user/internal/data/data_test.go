package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"gorm.io/gorm"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/app/user/internal/biz"
	"clouddrive/pkg/ratelimit"
	"clouddrive/pkg/testkit"
)

// backend is one database the repos must behave the same on.
type backend struct {
	name   string
	source func(t testing.TB) string
}

// backends are MariaDB (skipped under -short) and SQLite.
var backends = []backend{
	{"mysql", testkit.MySQL},
	{"sqlite", testkit.SQLite},
}

// eachBackend runs fn once per database, each on fresh, migrated tables.
func eachBackend(t *testing.T, fn func(t *testing.T, d *Data)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, openData(t, b.name, b.source(t), nil))
		})
	}
}

// openData goes through NewData, as the service does.
func openData(t *testing.T, driver, source string, rc *confv1.Data_Redis) *Data {
	t.Helper()
	d, cleanup, err := NewData(&confv1.Data{
		Database: &confv1.Data_Database{Driver: driver, Source: source},
		Redis:    rc,
	}, log.NewStdLogger(io.Discard))
	if err != nil {
		t.Fatalf("NewData(%s): %v", driver, err)
	}
	t.Cleanup(cleanup)
	return d
}

// dbNow is a UTC instant both databases store exactly (MySQL keeps milliseconds).
func dbNow() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got != nil {
		t.Fatalf("%s: unexpected error %v", what, got)
	}
	if want != nil && !errors.Is(got, want) {
		t.Fatalf("%s: error = %v, want %v", what, got, want)
	}
}

func sameInstant(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestMigrateTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *Data) {
		if err := Migrate(d.DB); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
	})
}

func TestNewDataUnknownDriver(t *testing.T) {
	_, _, err := NewData(&confv1.Data{Database: &confv1.Data_Database{Driver: "oracle", Source: "x"}}, log.NewStdLogger(io.Discard))
	if err == nil {
		t.Fatal("NewData with an unknown driver succeeded")
	}
}

func TestNewLimiter(t *testing.T) {
	rule := ratelimit.Rule{Limit: 2, Window: time.Minute}
	tests := []struct {
		name  string
		redis func(t *testing.T) *confv1.Data_Redis
		want  string
	}{
		{"memory without redis", func(*testing.T) *confv1.Data_Redis { return nil }, "memory"},
		{"redis when configured", func(t *testing.T) *confv1.Data_Redis {
			addr, prefix := testkit.Redis(t)
			return &confv1.Data_Redis{Addr: addr, Prefix: prefix}
		}, "redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := tt.redis(t)
			d := openData(t, "sqlite", testkit.SQLite(t), rc)
			l := NewLimiter(d)
			switch l.(type) {
			case *ratelimit.Memory:
				if tt.want != "memory" {
					t.Fatalf("limiter is %T, want %s", l, tt.want)
				}
			case *ratelimit.Redis:
				if tt.want != "redis" {
					t.Fatalf("limiter is %T, want %s", l, tt.want)
				}
			default:
				t.Fatalf("limiter is %T", l)
			}
			ctx := context.Background()
			for i, want := range []bool{true, true, false} {
				dec, err := l.Allow(ctx, "k", rule)
				if err != nil || dec.Allowed != want {
					t.Fatalf("hit %d: allowed=%v err=%v, want %v", i+1, dec.Allowed, err, want)
				}
			}
			if rc != nil {
				// Counters live under the configured prefix.
				n, err := d.Redis.Exists(ctx, rc.GetPrefix()+"rl:k").Result()
				if err != nil || n != 1 {
					t.Fatalf("counter under the prefix: exists=%d err=%v", n, err)
				}
			}
		})
	}
}

func TestMapErr(t *testing.T) {
	other := errors.New("boom")
	tests := []struct {
		in, want error
	}{
		{nil, nil},
		{gorm.ErrRecordNotFound, biz.ErrNotFound},
		{fmt.Errorf("take: %w", gorm.ErrRecordNotFound), biz.ErrNotFound},
		{gorm.ErrDuplicatedKey, biz.ErrDuplicate},
		{other, other},
	}
	for _, tt := range tests {
		if got := mapErr(tt.in); !errors.Is(got, tt.want) && !(got == nil && tt.want == nil) {
			t.Errorf("mapErr(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
