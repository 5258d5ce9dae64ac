package runner

import (
	"strings"
	"testing"
)

func TestLineWatch(t *testing.T) {
	w := newLineWatch([]string{"Flags [S]", "zz"}, "listening on")
	select {
	case <-w.readyCh:
		t.Fatal("ready before the line")
	default:
	}
	_, _ = w.Write([]byte("tcpdump: verbose output suppressed\nlisten"))
	_, _ = w.Write([]byte("ing on vxlan0\nIP a > b: Flags [S], seq 1\nIP a > b: Flags [S], seq 2\nzz"))
	select {
	case <-w.readyCh:
	default:
		t.Fatal("not ready after a line split across writes")
	}
	if c := w.countsNow(); c["Flags [S]"] != 2 || c["zz"] != 0 {
		t.Fatalf("counts %v", c)
	}
	w.flush()
	if c := w.countsNow(); c["zz"] != 1 {
		t.Fatalf("last line without newline not counted: %v", c)
	}
	if !strings.Contains(w.lastOutput(), "seq 2") {
		t.Fatalf("tail %q", w.lastOutput())
	}
}

func TestFlatten(t *testing.T) {
	got := flatten(map[string]any{"packets": 3, "requests": map[string]any{"replayed": 2, "status": map[string]int{"2xx": 2}}, "name": "x"})
	if got["packets"] != 3 || got["requests.replayed"] != 2 || got["requests.status.2xx"] != 2 || len(got) != 3 {
		t.Fatalf("flatten %v", got)
	}
}
