package lab

import (
	"context"
	"errors"
	"testing"
)

// TestInterrupted: an ended context marks the error once, matched with
// errors.Is; a live one leaves it alone.
func TestInterrupted(t *testing.T) {
	live := t.Context()
	if err := Interrupted(live, nil); err != nil {
		t.Fatalf("live context, no error: %v", err)
	}
	plain := errors.New("boom")
	if err := Interrupted(live, plain); err != plain {
		t.Fatalf("live context: %v", err)
	}
	ctx, cancel := context.WithCancel(live)
	cancel()
	err := Interrupted(ctx, plain)
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, plain) || err.Error() != "interrupted: boom" {
		t.Fatalf("ended context: %v", err)
	}
	if again := Interrupted(ctx, err); again != err {
		t.Fatalf("marked twice: %v", again)
	}
	if err := Interrupted(ctx, nil); !errors.Is(err, context.Canceled) || err.Error() != "interrupted: context canceled" {
		t.Fatalf("ended context, no error: %v", err)
	}
}
