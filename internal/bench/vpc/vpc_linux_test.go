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

// TestPrivilegedApplyLatencyAndResponses: the API-driven session shows at
// the adapter (three timed rounds, each under the 2 s limit), the bench's
// own mirror runs again afterwards, and switching on the response rule
// restarts it with production's answers (outbound TCP from port 80) in the
// filter.
func TestPrivilegedApplyLatencyAndResponses(t *testing.T) {
	privtest.Require(t)
	ctx := context.Background()
	env, err := Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := env.StartMirror(ctx); err != nil {
		t.Fatal(err)
	}
	lat, err := env.ApplyLatency(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) != 3 {
		t.Fatalf("got %d latencies, want 3", len(lat))
	}
	for _, l := range lat {
		if l <= 0 || l >= 2*time.Second {
			t.Errorf("latency %v out of (0, 2s)", l)
		}
	}
	t.Logf("apply latency: %v", lat)
	if env.MirrorSnapshot() == nil {
		t.Fatal("the bench's mirror service was not restarted after ApplyLatency")
	}
	if got := MirrorSpec(env.Lab, false).TrafficMirrorFilters[0].EgressFilterRules; len(got) != 0 {
		t.Fatalf("responses off: egress rules %+v", got)
	}
	if err := env.MirrorResponses(ctx, true); err != nil {
		t.Fatal(err)
	}
	if env.MirrorSnapshot() == nil {
		t.Fatal("mirror not running after MirrorResponses(true)")
	}
	eg := MirrorSpec(env.Lab, true).TrafficMirrorFilters[0].EgressFilterRules
	if len(eg) != 1 || eg[0].SourcePortRange == nil || eg[0].SourcePortRange.FromPort != 80 || eg[0].Protocol != 6 {
		t.Fatalf("responses on: egress rules %+v, want TCP from port 80", eg)
	}
}
