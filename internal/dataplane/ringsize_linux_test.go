package dataplane

import (
	"testing"
	"time"
)

// TestRingsWithinBudget: a small lab gets rings of Frames frames of its
// MTU (so a jumbo interface's ring is as deep in frames as another's), in
// blocks of at least blockFrames frames (2 MiB at MTU 9001); a
// large one gets smaller rings whose sum stays within the budget, never
// below two 128 KiB blocks; explicit Blocks are kept.
func TestRingsWithinBudget(t *testing.T) {
	const jumbo = 9001
	for _, c := range []struct {
		name              string
		o                 RingOptions
		n, mtu            int
		blockSize, blocks int
	}{
		{"small lab", RingOptions{}, 2, 1500, 512 << 10, 13},       // 4096 × 1642 B, 200 a block
		{"small lab, jumbo", RingOptions{}, 2, jumbo, 2 << 20, 18}, // 4096 × 9143 B, 200 a block
		{"small lab, fewer frames", RingOptions{Frames: 512}, 2, jumbo, 2 << 20, 3},
		{"small lab, jumbo, explicit block size", RingOptions{BlockSize: 256 << 10}, 2, jumbo, 256 << 10, 143},
		{"4 ENIs, jumbo", RingOptions{}, 8, jumbo, 256 << 10, 64}, // cut to 16 MiB each: the budget's blocks
		{"16 ENIs", RingOptions{}, 32, 1500, 256 << 10, 16},       // 4 MiB each
		{"16 ENIs, jumbo", RingOptions{}, 32, jumbo, 256 << 10, 16},
		{"100 ENIs", RingOptions{}, 200, 1500, 128 << 10, 5},
		{"50 ENIs", RingOptions{}, 100, 1500, 256 << 10, 5},
		{"1000 ENIs", RingOptions{}, 2000, jumbo, 128 << 10, 2},
		{"explicit blocks", RingOptions{Blocks: 4}, 2000, 1500, 256 << 10, 4},
		{"explicit block size", RingOptions{BlockSize: 64 << 10}, 2000, 1500, 64 << 10, 2},
		{"larger budget", RingOptions{Budget: 1 << 30}, 20, 1500, 512 << 10, 13},
		{"larger budget, shared", RingOptions{Budget: 1 << 30}, 200, 1500, 256 << 10, 20},
	} {
		got := c.o.forRings(c.n, c.mtu)
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
		got := c.o.forRings(c.n, 1500).BlockTimeout
		if got != c.want {
			t.Errorf("%d rings (%+v): block timeout %s, want %s", c.n, c.o, got, c.want)
		}
		if c.o.BlockTimeout == 0 && float64(c.n)/got.Seconds() > ringTimerRate*1.001 {
			t.Errorf("%d rings of %s: %.0f timer fires a second", c.n, got, float64(c.n)/got.Seconds())
		}
	}
}
