package dataplane

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedPreload: Start takes a path from the Preload for the one
// fabric it loads, and leaves the other; Close of the Preload waits for
// it and releases it. (That a lab leaves no BPF object, preload and all,
// the bench suite's TestPrivilegedLargeLabLeavesNothing checks.)
func TestPrivilegedPreload(t *testing.T) {
	lab := testLab(t)
	spec := webToTgt1()
	pre := StartPreload(2)
	svc, _ := startService(t, lab, spec, func(c *Config) { c.Preload = pre })
	if k := svc.Snapshot().Kernel; !k.Enabled {
		pre.Close()
		t.Skipf("in-kernel path unavailable: %s", k.Why)
	}
	pre.mu.Lock()
	left := pre.left
	pre.mu.Unlock()
	if left != 1 {
		t.Errorf("after Start, %d preloaded paths left, want 1 (one fabric loaded)", left)
	}
	if err := pre.Close(); err != nil {
		t.Fatalf("Preload.Close: %v", err)
	}
	if err := pre.Close(); err != nil {
		t.Fatalf("Preload.Close again: %v", err)
	}
	if pre.left != 0 || len(pre.paths) != 0 {
		t.Errorf("after Close, %d paths left and %d not received, want none", pre.left, len(pre.paths))
	}
}

// webToTgt1 is the test account with one session, web's inbound UDP to
// tgt1.
func webToTgt1() cloudmock.Spec {
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 77, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	return spec
}

// stepRecorder is a slog handler keeping the messages logged at Info and
// their attributes.
type stepRecorder struct {
	mu   sync.Mutex
	msgs map[string][]slog.Attr
}

func (h *stepRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *stepRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool { h.msgs[r.Message] = append(h.msgs[r.Message], a); return true })
	return nil
}
func (h *stepRecorder) WithAttrs([]slog.Attr) slog.Handler { return slog.DiscardHandler }
func (h *stepRecorder) WithGroup(string) slog.Handler      { return slog.DiscardHandler }

// TestPrivilegedStartSteps: Start times each of its steps (some run at
// once, so there is no order to them), and
// logs them as durations in its started message.
func TestPrivilegedStartSteps(t *testing.T) {
	lab := testLab(t)
	spec := webToTgt1()
	rec := &stepRecorder{msgs: map[string][]slog.Attr{}}
	svc, _ := startService(t, lab, spec, func(c *Config) { c.Logger = slog.New(rec) })
	want := []string{StepLoad, StepAttach, StepRings, StepPlan, StepHealth}
	var got []string
	for _, st := range svc.StartSteps() {
		got = append(got, st.Name)
		if st.Took < 0 {
			t.Errorf("step %s took %v", st.Name, st.Took)
		}
	}
	slices.Sort(got)
	if strings.Join(got, ",") != strings.Join(slices.Sorted(slices.Values(want)), ",") {
		t.Errorf("StartSteps: %v, want %v", got, want)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	logged := map[string]bool{}
	for _, a := range rec.msgs[StartedMessage] {
		if a.Value.Kind() == slog.KindDuration {
			logged[a.Key] = true
		}
	}
	for _, name := range want {
		if !logged[name] {
			t.Errorf("%q logged without the step %s as a duration (attributes %v)", StartedMessage, name, rec.msgs[StartedMessage])
		}
	}
}
