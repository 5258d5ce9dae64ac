package vpc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedMirrorPath builds the bench VPC with the mirror running and
// checks that a slow trial delivers every packet to production and one copy
// of each to the adapter, and that Close removes the run.
func TestPrivilegedMirrorPath(t *testing.T) {
	privtest.Require(t)
	ctx := context.Background()
	stateDir := t.TempDir()
	env, err := Build(ctx, stateDir)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			if err := env.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	if err := env.StartMirror(ctx); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{64, 8947} {
		p, err := env.Path(size, 300*time.Millisecond, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := p.Run(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Sent < 200 || tr.Extra["delivered"] < float64(tr.Sent) || tr.Extra["mirrored"] < float64(tr.Sent) {
			t.Errorf("size %d at 1000 pps: sent %d, delivered %v, mirrored %v", size, tr.Sent, tr.Extra["delivered"], tr.Extra["mirrored"])
		}
		if err := p.Sender.Close(); err != nil {
			t.Error(err)
		}
	}
	snap := env.MirrorSnapshot()
	if snap == nil || snap.Totals.Sent == 0 {
		t.Fatalf("mirror service sent nothing: %+v", snap)
	}
	// The in-VPC kernel reference takes our mirror's place: refused while
	// ours runs, then one copy of each packet, then removed cleanly.
	if err := env.StartTCMirred(ctx); err == nil {
		t.Fatal("tc mirred started beside the running mirror service")
	}
	if err := env.StopMirror(); err != nil {
		t.Fatal(err)
	}
	if err := env.StartTCMirred(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := env.Path(64, 300*time.Millisecond, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.Run(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	p.Sender.Close()
	// A few ARP frames may be mirrored too; a second copy per packet may not.
	if tr.Sent < 200 || tr.Extra["delivered"] < float64(tr.Sent) || tr.Extra["mirrored"] < float64(tr.Sent) || tr.Extra["mirrored"] > float64(tr.Sent)+20 {
		t.Errorf("tc mirred at 1000 pps: sent %d, delivered %v, mirrored %v", tr.Sent, tr.Extra["delivered"], tr.Extra["mirrored"])
	}
	for i := 0; i < 2; i++ { // the second finds nothing to remove
		if err := env.StopTCMirred(); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.StartMirror(ctx); err != nil {
		t.Fatal(err)
	}
	// Port 4789 can be handed to an agent and taken back.
	if err := env.ReleaseMirrorPort(); err != nil {
		t.Fatal(err)
	}
	if err := env.HoldMirrorPort(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(stateDir, "*.json")); len(left) > 0 {
		t.Fatalf("state left after Close: %v", left)
	}
	if _, err := os.Stat(filepath.Join("/run/netns", env.Client.NsName)); !os.IsNotExist(err) {
		t.Fatalf("namespace %s still there: %v", env.Client.NsName, err)
	}
}
