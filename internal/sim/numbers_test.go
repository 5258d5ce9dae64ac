package sim

import "testing"

func TestNumbersReuseTheSmallestFree(t *testing.T) {
	var n numbers
	for want := 1; want <= 4; want++ {
		if got := n.take(); got != want {
			t.Fatalf("take = %d, want %d", got, want)
		}
	}
	n.release(3)
	n.release(2)
	if got := n.take(); got != 2 {
		t.Fatalf("after releasing 2 and 3, take = %d, want 2", got)
	}
	if got := n.take(); got != 3 {
		t.Fatalf("take = %d, want 3", got)
	}
	if got := n.take(); got != 5 {
		t.Fatalf("take = %d, want 5", got)
	}
	n.release(0) // never taken: ignored
	n.release(99)
	if got := n.take(); got != 6 {
		t.Fatalf("take = %d, want 6", got)
	}
}
