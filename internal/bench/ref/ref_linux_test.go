package ref

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedReferences builds each reference, checks that a slow trial
// delivers every packet (and every mirror copy), and that an unpaced one
// reaches some rate; then that Close removed the namespaces.
func TestPrivilegedReferences(t *testing.T) {
	privtest.Require(t)
	ctx := context.Background()
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			stateDir := t.TempDir()
			s, err := Build(ctx, kind, stateDir)
			if err != nil {
				t.Fatal(err)
			}
			closed := false
			t.Cleanup(func() {
				if !closed {
					if err := s.Close(); err != nil {
						t.Error(err)
					}
				}
			})
			for _, size := range []int{64, 8947} {
				p, err := s.Path(size, 200*time.Millisecond, 30*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				slow, err := p.Run(ctx, 2000)
				if err != nil {
					t.Fatal(err)
				}
				if slow.Sent < 300 || !slow.Lossless() {
					t.Fatalf("size %d at 2000 pps: sent %d, lost %d (%v)", size, slow.Sent, slow.Lost, slow.Extra)
				}
				if kind == TCMirred && slow.Extra["mirrored"] < float64(slow.Sent) {
					t.Fatalf("size %d: %v mirror copies for %d sent", size, slow.Extra["mirrored"], slow.Sent)
				}
				fast, err := p.Run(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s size %d: unpaced %.0f pps, loss %.4f, extra %v", kind, size, fast.Offered, fast.Loss, fast.Extra)
				if err := p.Sender.Close(); err != nil {
					t.Error(err)
				}
			}
			name := "ml" + s.nss.RunID() + "-gen"
			if _, err := os.Stat(filepath.Join("/var/run/netns", name)); err != nil {
				t.Fatalf("namespace %s not there while the setup lives: %v", name, err)
			}
			stateFile := filepath.Join(stateDir, s.nss.RunID()+".json")
			if _, err := os.Stat(stateFile); err != nil {
				t.Fatalf("run not recorded for mirrorlab clean: %v", err)
			}
			closed = true
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(stateFile); !os.IsNotExist(err) {
				t.Fatalf("state file left after Close: %v", err)
			}
			ents, _ := os.ReadDir("/var/run/netns")
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "ml"+s.nss.RunID()) {
					t.Fatalf("namespace %s left after Close", e.Name())
				}
			}
		})
	}
}
