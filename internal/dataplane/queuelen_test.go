package dataplane

import "testing"

// TestQueueLenForLabSize: up to 4 pipelines keep 16384-slot queues, more
// share 64 Ki slots down to 256 each, and an explicit QueueLen is kept.
func TestQueueLenForLabSize(t *testing.T) {
	for _, c := range []struct {
		set, n, want int
	}{
		{0, 2, 16384}, {0, 4, 16384}, {0, 16, 4096}, {0, 32, 2048}, {0, 200, 327}, {0, 2000, 256}, {0, 0, 16384},
		{1, 2000, 1}, {8192, 2, 8192},
	} {
		if got := (Config{QueueLen: c.set}).queueLenFor(c.n); got != c.want {
			t.Errorf("QueueLen %d, %d pipelines: %d slots, want %d", c.set, c.n, got, c.want)
		}
	}
}
