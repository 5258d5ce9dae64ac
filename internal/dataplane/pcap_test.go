package dataplane

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// countingHandler records the messages logged at each level.
type countingHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func TestPcapWriterWritesEveryFrame(t *testing.T) {
	dir := t.TempDir()
	h := &countingHandler{}
	w, err := newPcapWriter(dir, "tmt-1", slog.New(h))
	if err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{0xab}, 120)
	const n = 500
	for i := range n {
		w.write(frame, int64(i))
	}
	if err := w.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	st := w.stats()
	if st.Written != n || st.Lost != 0 || st.Error != "" {
		t.Errorf("stats = %+v, want %d written, none lost, no error", st, n)
	}
	if len(h.recs) != 0 {
		t.Errorf("logged %d messages on a healthy file", len(h.recs))
	}
	f, err := os.Open(st.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			break
		}
		got++
	}
	if got != n {
		t.Errorf("file holds %d frames, want %d", got, n)
	}
	// The file says what it is: sent by the service, not captured at the
	// target.
	if c := r.SectionInfo().Comment; !strings.HasPrefix(c, PcapSentLabel) || !strings.HasSuffix(c, "tmt-1") {
		t.Errorf("section comment %q, want the sent-not-captured label naming tmt-1", c)
	}
}

// TestPcapWriterReportsFirstError: when the file fails under the writer
// (here: closed behind its back, as a full disk or a removed mount would
// fail it), the error is logged once when it happens, not only at close,
// and every frame not written is counted.
func TestPcapWriterReportsFirstError(t *testing.T) {
	h := &countingHandler{}
	w, err := newPcapWriter(t.TempDir(), "tmt-2", slog.New(h))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.f.Close(); err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{0xcd}, 200)
	const n = 1000 // far more than the writer's buffer holds
	for i := range n {
		w.write(frame, int64(i))
	}
	st := w.stats()
	if st.Error == "" || !strings.Contains(st.Error, st.Path) {
		t.Errorf("stats.Error = %q, want the write error naming %s", st.Error, st.Path)
	}
	if st.Lost == 0 || st.Written+st.Lost != n {
		t.Errorf("stats = %+v: want some lost, written+lost = %d", st, n)
	}
	h.mu.Lock()
	logged := len(h.recs)
	var level slog.Level
	if logged > 0 {
		level = h.recs[0].Level
	}
	h.mu.Unlock()
	if logged != 1 || level != slog.LevelError {
		t.Errorf("logged %d messages (first at %v) before close, want exactly one error", logged, level)
	}
	if err := w.close(); err == nil {
		t.Error("close returned nil after a write error")
	}
	if got := len(h.recs); got != 1 {
		t.Errorf("logged %d messages in all, want 1", got)
	}
}

// TestPcapLossInSnapshotAndMetrics: the service's snapshot and Prometheus
// metrics carry a target's pcapng losses while the service runs.
func TestPcapLossInSnapshotAndMetrics(t *testing.T) {
	p, _ := pathFixture(t, 0)
	m := p.svc.Model()
	h := &countingHandler{}
	s := &Service{cfg: Config{PcapDir: t.TempDir(), Logger: slog.New(h), Lab: &sim.Lab{}}.withDefaults(),
		byKey: map[targetKey]*targetAddr{}, pcaps: map[string]*pcapWriter{}, health: &healthGen{}}
	v, err := s.newView(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.cur.Store(v)
	if len(s.pcaps) != 1 {
		t.Fatalf("%d pcap writers, want 1", len(s.pcaps))
	}
	w := s.pcaps["t"]
	t.Cleanup(func() { _ = w.close() })
	if err := w.f.Close(); err != nil {
		t.Fatal(err)
	}
	frame := bytes.Repeat([]byte{1}, 1500)
	for i := range 50 {
		w.write(frame, int64(i))
	}
	snap := s.Snapshot()
	if len(snap.Pcaps) != 1 || snap.Pcaps[0].TargetId != "t" || snap.Pcaps[0].Lost == 0 || snap.Pcaps[0].Error == "" {
		t.Fatalf("snapshot pcaps = %+v, want target t with losses and the error", snap.Pcaps)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := fmt.Sprintf(`mirrorlab_dataplane_pcap_lost_packets_total{target="t"} %d`, snap.Pcaps[0].Lost)
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %q", want)
	}
}

// TestPcapWriterJoinsParts: a copy sent as its headers and the frame in
// the ring is recorded as one frame, the two joined in order.
func TestPcapWriterJoinsParts(t *testing.T) {
	w, err := newPcapWriter(t.TempDir(), "tmt-1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	head, tail := bytes.Repeat([]byte{0x01}, 64), bytes.Repeat([]byte{0x02}, 1400)
	w.writeParts(head, tail, 1)
	w.writeParts(tail, nil, 2)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(w.stats().Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]byte{append(bytes.Clone(head), tail...), tail} {
		got, _, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("frame %d: %d bytes, want the %d of its parts in order", i, len(got), len(want))
		}
	}
}
