package progress

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
)

func live(mirrored, replayed uint64) runner.Live {
	return runner.Live{Step: "web-load", Elapsed: 1500 * time.Millisecond, Mirrored: mirrored, Replayed: replayed}
}

// TestTerminalRedrawsInPlace drives the display as a terminal would see it.
func TestTerminalRedrawsInPlace(t *testing.T) {
	var b bytes.Buffer
	d := New(&b, true)
	fmt.Fprintf(d, "  [ 0.1s] building the VPC\n")
	d.Update(live(10, 2))
	d.Update(live(57, 20))
	fmt.Fprintf(d, "  [ 2.1s] traffic web-load: sent 100\n")
	d.Update(live(105, 100))
	d.Done()
	want := "  [ 0.1s] building the VPC\n" +
		"\r\x1b[K  ▸ traffic web-load 1.5s: 10 packets mirrored, 2 requests replayed" +
		"\r\x1b[K  ▸ traffic web-load 1.5s: 57 packets mirrored, 20 requests replayed" +
		"\r\x1b[K  [ 2.1s] traffic web-load: sent 100\n" +
		"\r\x1b[K  ▸ traffic web-load 1.5s: 105 packets mirrored, 100 requests replayed" +
		"\r\x1b[K"
	if got := b.String(); got != want {
		t.Fatalf("terminal output\n%q\nwant\n%q", got, want)
	}
	// the screen as it ends: every status line erased, the lines kept
	if screen := render(b.String()); screen != "  [ 0.1s] building the VPC\n  [ 2.1s] traffic web-load: sent 100\n" {
		t.Fatalf("screen:\n%q", screen)
	}
}

// render plays \r and "erase line" on a plain text screen.
func render(s string) string {
	var lines []string
	cur := ""
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "\r\x1b[K"):
			cur = ""
			i += len("\r\x1b[K") - 1
		case s[i] == '\n':
			lines = append(lines, cur)
			cur = ""
		default:
			cur += s[i : i+1]
		}
	}
	out := strings.Join(lines, "\n") + "\n"
	return out + cur
}

// TestNotATerminalIsQuiet: a log gets the progress lines and nothing else.
func TestNotATerminalIsQuiet(t *testing.T) {
	var b bytes.Buffer
	d := New(&b, false)
	fmt.Fprintf(d, "line one\n")
	d.Update(live(10, 2))
	fmt.Fprintf(d, "line two\n")
	d.Update(live(20, 4))
	d.Done()
	if got := b.String(); got != "line one\nline two\n" {
		t.Fatalf("output %q", got)
	}
}

func TestIsTerminal(t *testing.T) {
	if IsTerminal(&bytes.Buffer{}) {
		t.Fatal("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Fatal("a regular file is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Fatal("a pipe is a terminal")
	}
}

// TestConcurrentUse: Update comes from the runner's ticker goroutine while
// progress lines come from the run (go test -race).
func TestConcurrentUse(t *testing.T) {
	var b bytes.Buffer
	d := New(&b, true)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				if i%2 == 0 {
					d.Update(live(uint64(j), 0))
				} else {
					fmt.Fprintf(d, "line %d\n", j)
				}
			}
		}()
	}
	wg.Wait()
	d.Done()
	if n := strings.Count(render(b.String()), "\n"); n != 200 {
		t.Fatalf("%d lines on the screen, want 200", n)
	}
}

// TestShowIsAStatusLine: Show draws any status line in place, erased by the
// next progress line, and nothing at all off a terminal.
func TestShowIsAStatusLine(t *testing.T) {
	var b bytes.Buffer
	d := New(&b, true)
	d.Show("▸ 1/3 done │ vni: building the VPC")
	d.Show("▸ 2/3 done │ vni: settling")
	fmt.Fprintf(d, "=== rule-order\n")
	d.Done()
	want := "\r\x1b[K▸ 1/3 done │ vni: building the VPC\r\x1b[K▸ 2/3 done │ vni: settling\r\x1b[K=== rule-order\n"
	if got := b.String(); got != want {
		t.Fatalf("terminal output\n%q\nwant\n%q", got, want)
	}
	b.Reset()
	d = New(&b, false)
	d.Show("▸ 1/3 done")
	d.Done()
	if b.Len() != 0 {
		t.Fatalf("off a terminal: %q", b.String())
	}
}
