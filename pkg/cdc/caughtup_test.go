package cdc

import (
	"context"
	"errors"
	"testing"
)

func TestCaughtUpMainExitCodes(t *testing.T) {
	load := func(path string) (string, error) {
		if path == "missing.yaml" {
			return "", errors.New("no such file")
		}
		return path, nil
	}
	var waitedWith string
	wait := func(ctx context.Context, c string) error {
		waitedWith = c
		if c == "behind.yaml" {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"-conf", "ok.yaml"}, 0},
		{[]string{"-conf", "behind.yaml", "-wait", "10ms"}, 1},
		{[]string{"-conf", "missing.yaml"}, 2},
		{[]string{"-no-such-flag"}, 2},
	} {
		if got := CaughtUpMain("relay", "the binlog", tc.args, load, wait); got != tc.want {
			t.Errorf("caught-up %v = %d, want %d", tc.args, got, tc.want)
		}
	}
	if waitedWith != "behind.yaml" {
		t.Errorf("the wait got config %q, want the loaded one", waitedWith)
	}
}
