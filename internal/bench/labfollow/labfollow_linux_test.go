package labfollow

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedRoundAddsAndRemoves: on a fleet of 10, each round adds an
// instance whose datagrams the target then receives a copy of (Round
// returns only then) and removes it again; closing the fleet leaves no
// state file.
func TestPrivilegedRoundAddsAndRemoves(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	f, err := Build(context.Background(), 10, dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		add, remove, err := f.Round(t.Context())
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if add <= 0 || remove <= 0 {
			t.Errorf("round %d: add %v, remove %v", i, add, remove)
		}
		if in := f.lab.Sim().Instance("i-new" + string(rune('0'+i))); in != nil {
			t.Errorf("round %d: the added instance is still in the lab after its removal", i)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("state files left behind: %v", files)
	}
}

func TestBuildRefusesSizes(t *testing.T) {
	for _, n := range []int{0, 4001} {
		if _, err := Build(context.Background(), n, t.TempDir()); err == nil || !strings.Contains(err.Error(), "want 1 to 4000") {
			t.Errorf("Build(%d) error %v", n, err)
		}
	}
}

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	if got := Median([]time.Duration{9 * ms, 1 * ms, 5 * ms}); got != 5*ms {
		t.Errorf("median of 9, 1, 5 ms = %v", got)
	}
	if got := Median(nil); got != 0 {
		t.Errorf("median of none = %v", got)
	}
}
