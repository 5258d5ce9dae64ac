package budget

import (
	"sync"
	"testing"
)

func TestStateLeavesTheInFlightReserve(t *testing.T) {
	b := New(8 << 20) // reserve 1 MiB
	if !b.TryCharge(7 << 20) {
		t.Fatal("7 MiB of state refused under an 8 MiB budget")
	}
	if b.TryCharge(1) {
		t.Fatal("state charged into the in-flight reserve")
	}
	if !b.TryChargeInFlight(1 << 20) {
		t.Fatal("in-flight charge refused while the reserve is free")
	}
	if b.TryChargeInFlight(1) {
		t.Fatal("charged over the limit")
	}
	b.Release(1 << 20)
	if b.Used() != 7<<20 || b.Peak() != 8<<20 || b.Refused() != 2 {
		t.Fatalf("used %d peak %d refused %d", b.Used(), b.Peak(), b.Refused())
	}
}

func TestAccount(t *testing.T) {
	b := New(1 << 20)
	a := NewAccount(b)
	if !a.Set(1000) || !a.Set(400) || b.Used() != 400 {
		t.Fatalf("used %d, want 400", b.Used())
	}
	if a.Set(2<<20) || a.Held() != 400 || b.Used() != 400 {
		t.Fatalf("refused growth changed the charge: held %d used %d", a.Held(), b.Used())
	}
	a.Release()
	if b.Used() != 0 || a.Held() != 0 {
		t.Fatalf("after release: used %d held %d", b.Used(), a.Held())
	}
}

func TestNilBudgetNeverRefuses(t *testing.T) {
	var b *Budget
	a := NewAccount(b)
	if !b.TryCharge(1<<62) || !b.TryChargeInFlight(1<<62) || !a.Set(1<<40) || b.Used() != 0 {
		t.Fatal("nil budget refused or counted")
	}
	b.Release(5)
}

// TestConcurrentChargesNeverExceedLimit: charges racing from many
// goroutines never take the total over the limit.
func TestConcurrentChargesNeverExceedLimit(t *testing.T) {
	b := New(1 << 20)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				if b.TryChargeInFlight(4096) {
					if u := b.Used(); u > b.Limit() {
						t.Errorf("used %d over the limit", u)
					}
					b.Release(4096)
				}
			}
		}()
	}
	wg.Wait()
	if b.Used() != 0 || b.Peak() > b.Limit() {
		t.Fatalf("used %d peak %d", b.Used(), b.Peak())
	}
}
