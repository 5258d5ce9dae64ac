package dataplane

import (
	"testing"
	"time"
)

// TestRingsWithinBudget: a small lab keeps the full 4 MiB rings; a large
// one gets smaller rings whose sum stays within the budget, never below two
// 128 KiB blocks; explicit Blocks are kept.
func TestRingsWithinBudget(t *testing.T) {
	for _, c := range []struct {
		name              string
		o                 RingOptions
		n                 int
		blockSize, blocks int
	}{
		{"small lab", RingOptions{}, 2, 256 << 10, 16},
		{"16 ENIs", RingOptions{}, 32, 256 << 10, 16},
		{"100 ENIs", RingOptions{}, 200, 128 << 10, 5},
		{"50 ENIs", RingOptions{}, 100, 256 << 10, 5},
		{"1000 ENIs", RingOptions{}, 2000, 128 << 10, 2},
		{"explicit blocks", RingOptions{Blocks: 4}, 2000, 256 << 10, 4},
		{"explicit block size", RingOptions{BlockSize: 64 << 10}, 2000, 64 << 10, 2},
		{"larger budget", RingOptions{Budget: 1 << 30}, 200, 256 << 10, 16},
	} {
		got := c.o.forRings(c.n)
		if got.BlockSize != c.blockSize || got.Blocks != c.blocks {
			t.Errorf("%s: %d rings get %d blocks of %d bytes, want %d of %d", c.name, c.n, got.Blocks, got.BlockSize, c.blocks, c.blockSize)
		}
		if c.o.Blocks == 0 && got.Blocks > minRingBlocks && got.Blocks*got.BlockSize*c.n > max(c.o.Budget, defaultRingBudget) {
			t.Errorf("%s: %d rings of %d bytes exceed the budget", c.name, c.n, got.Blocks*got.BlockSize)
		}
		if got.BlockTimeout < 2*time.Millisecond {
			t.Errorf("%s: block timeout %s", c.name, got.BlockTimeout)
		}
	}
}

// TestRingTimersBounded: the rings' block timers fire at most
// ringTimerRate times a second in all, however many rings there are, and
// a small lab keeps the 2 ms latency; an explicit timeout is kept.
func TestRingTimersBounded(t *testing.T) {
	for _, c := range []struct {
		o    RingOptions
		n    int
		want time.Duration
	}{
		{RingOptions{}, 2, 2 * time.Millisecond},
		{RingOptions{}, 20, 2 * time.Millisecond},
		{RingOptions{}, 200, 20 * time.Millisecond},
		{RingOptions{Blocks: 4}, 2000, 200 * time.Millisecond},
		{RingOptions{BlockTimeout: 5 * time.Millisecond}, 2000, 5 * time.Millisecond},
	} {
		got := c.o.forRings(c.n).BlockTimeout
		if got != c.want {
			t.Errorf("%d rings (%+v): block timeout %s, want %s", c.n, c.o, got, c.want)
		}
		if c.o.BlockTimeout == 0 && float64(c.n)/got.Seconds() > ringTimerRate*1.001 {
			t.Errorf("%d rings of %s: %.0f timer fires a second", c.n, got, float64(c.n)/got.Seconds())
		}
	}
}
