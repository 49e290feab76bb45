package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCharge(t *testing.T) {
	ctx := context.Background()
	errSpent := errors.New("spent")
	var after time.Duration
	refused := func(d time.Duration) error { after = d; return errSpent }
	l := NewMemory()
	r := Rule{Limit: 2, Window: time.Hour}
	for i := 0; i < 2; i++ {
		if err := Charge(ctx, l, "k", r, refused); err != nil {
			t.Fatalf("hit %d: %v", i+1, err)
		}
	}
	if err := Charge(ctx, l, "k", r, refused); !errors.Is(err, errSpent) {
		t.Fatalf("third hit: %v, want the refusal", err)
	}
	if after <= 0 || after > time.Hour {
		t.Fatalf("retry after %v, want within the window", after)
	}
	// No limit: nothing is charged, so the key stays fresh.
	for i := 0; i < 5; i++ {
		if err := Charge(ctx, l, "off", Rule{}, refused); err != nil {
			t.Fatalf("unlimited hit %d: %v", i+1, err)
		}
	}
	if _, ok := l.m["off"]; ok {
		t.Fatal("a rule with no limit charged its key")
	}
}
