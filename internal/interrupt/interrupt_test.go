package interrupt

import (
	"context"
	"errors"
	"testing"
)

// TestMark: an ended context marks the error once, matched with
// errors.Is; a live one leaves it alone.
func TestMark(t *testing.T) {
	live := t.Context()
	if err := Mark(live, nil); err != nil {
		t.Fatalf("live context, no error: %v", err)
	}
	plain := errors.New("boom")
	if err := Mark(live, plain); err != plain {
		t.Fatalf("live context: %v", err)
	}
	ctx, cancel := context.WithCancel(live)
	cancel()
	err := Mark(ctx, plain)
	if !errors.Is(err, Err) || !errors.Is(err, plain) || err.Error() != "interrupted: boom" {
		t.Fatalf("ended context: %v", err)
	}
	if again := Mark(ctx, err); again != err {
		t.Fatalf("marked twice: %v", again)
	}
	if err := Mark(ctx, nil); !errors.Is(err, context.Canceled) || err.Error() != "interrupted: context canceled" {
		t.Fatalf("ended context, no error: %v", err)
	}
}
