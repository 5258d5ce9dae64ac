package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

func TestTailBufferKeepsTheLastBytes(t *testing.T) {
	b := newTailBuffer(10, nil)
	var tee bytes.Buffer
	b.tee = &tee
	for _, s := range []string{"0123", "4567", "89ab", "c"} {
		b.Write([]byte(s))
	}
	got, dropped := b.snapshot()
	if string(got) != "3456789abc" || dropped != 3 {
		t.Fatalf("kept %q dropped %d, want %q and 3", got, dropped, "3456789abc")
	}
	b.Write([]byte("ABCDEFGHIJKLMNOP"))
	got, dropped = b.snapshot()
	if string(got) != "GHIJKLMNOP" || dropped != 3+10+6 {
		t.Fatalf("kept %q dropped %d, want GHIJKLMNOP and 19", got, dropped)
	}
	if tee.String() != "0123456789abcABCDEFGHIJKLMNOP" {
		t.Fatalf("tee got %q", tee.String())
	}
}

// nsInode returns the inode of a namespace as /proc/*/ns/net prints it.
func nsInode(t *testing.T, path string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("net:[%d]", st.Ino)
}

func TestPrivilegedExec(t *testing.T) {
	lab := realize(t, walkthrough())
	prod := lab.Instance("prod")
	ctx := context.Background()

	t.Run("output, exit code and namespace", func(t *testing.T) {
		var tee bytes.Buffer
		p, err := prod.Exec(ctx, []string{"sh", "-c", "echo out; echo err >&2; readlink /proc/self/ns/net; exit 3"},
			ExecOptions{Stdout: &tee})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Wait()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 || p.ExitCode() != 3 {
			t.Fatalf("Wait = %v, ExitCode = %d; want exit status 3", err, p.ExitCode())
		}
		out, _ := p.Stdout()
		serr, _ := p.Stderr()
		want := "out\n" + nsInode(t, "/run/netns/"+prod.NsName) + "\n"
		if string(out) != want || string(serr) != "err\n" || tee.String() != want {
			t.Fatalf("stdout %q stderr %q tee %q; want stdout %q", out, serr, tee.String(), want)
		}
	})

	t.Run("bounded output", func(t *testing.T) {
		p, err := prod.Exec(ctx, []string{"printf", "0123456789abcdefghij"}, ExecOptions{MaxOutput: 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		out, dropped := p.Stdout()
		if string(out) != "abcdefghij" || dropped != 10 {
			t.Fatalf("kept %q, dropped %d; want abcdefghij and 10", out, dropped)
		}
	})

	t.Run("context cancel kills the group", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		p, err := prod.Exec(cctx, []string{"sh", "-c", "sleep 1000 & echo $!; wait"}, ExecOptions{})
		if err != nil {
			t.Fatal(err)
		}
		line, err := firstLine(p, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var nsPid int
		fmt.Sscan(line, &nsPid)
		gc, err := hostPID(p, nsPid)
		if err != nil {
			t.Fatal(err)
		}
		child := procOf(t, gc)
		cancel()
		select {
		case <-p.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("cancelled program still runs")
		}
		waitGone(t, "grandchild after cancel", child)
	})

	t.Run("stop", func(t *testing.T) {
		p, err := prod.Exec(ctx, []string{"sleep", "1000"}, ExecOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Stop(time.Second); err != nil {
			t.Fatal(err)
		}
		if ws := p.Wait(); ws == nil || !strings.Contains(ws.Error(), "terminated") {
			t.Fatalf("Wait after Stop = %v, want killed by SIGTERM", ws)
		}
	})

	t.Run("missing program", func(t *testing.T) {
		if _, err := prod.Exec(ctx, []string{"/nonexistent/program"}, ExecOptions{}); err == nil {
			t.Fatal("want an error")
		}
		if _, err := prod.Exec(ctx, nil, ExecOptions{}); err == nil {
			t.Fatal("empty argv: want an error")
		}
	})
}

// TestSignalNeverTargetsOurGroup: a Process that never started has no
// process group; signalling it must fail rather than kill(0, sig), which
// would signal the caller's own group (go test and its shell included).
func TestSignalNeverTargetsOurGroup(t *testing.T) {
	p := &Process{Argv: []string{"x"}, started: make(chan struct{}), done: make(chan struct{})}
	close(p.started)
	close(p.done)
	if err := p.Signal(0); err == nil {
		t.Fatal("Signal on a process that never started succeeded: it signalled pid 0")
	}
	if err := p.Stop(time.Millisecond); err != nil {
		t.Fatalf("Stop on a process that never started: %v", err)
	}
}

// TestPrivilegedCloseRacesFailedExec: Close while Execs fail to start must
// neither hang nor signal anything of ours.
func TestPrivilegedCloseRacesFailedExec(t *testing.T) {
	privtest.Require(t)
	lab, err := Realize(context.Background(), walkthrough(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			lab.Instance("prod").Exec(context.Background(), []string{"/nonexistent/program"}, ExecOptions{})
		}
	}()
	time.Sleep(time.Millisecond)
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
}
