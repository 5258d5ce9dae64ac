package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mirrorlab/mirrorlab/internal/sim"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// consoleMax is how much of a user data script's output the lab keeps
// (the last bytes), as GetConsoleOutput returns it.
const consoleMax = 64 << 10

// notRun is the console output of user data that is not a "#!" script.
const notRun = "mirrorlab: this instance's user data is not a script (no \"#!\" line): it is kept but not run (cloud-config is not supported)\n"

// userData runs the model's instances' user data.
type userData struct {
	mu      sync.Mutex
	scripts map[string]*script // by instance id
}

// script is one instance's user data: its process (nil when not run),
// its output, and the directory it runs in.
type script struct {
	text string
	proc *sim.Process
	out  *tail
	dir  string
}

// startUserData starts the user data of every running instance of runs
// that the lab has and that does not run it yet: a "#!" script is
// written to a file in a directory of its own under the lab's state
// directory and run there, inside the instance's namespace (under the
// lab's init, in its own process group); other user data is kept, not
// run.
func (l *Lab) startUserData(ctx context.Context, runs []instanceRun) error {
	var errs []error
	for _, r := range runs {
		if !r.Running || r.UserData == "" {
			continue
		}
		l.ud.mu.Lock()
		sc := l.ud.scripts[r.ID]
		l.ud.mu.Unlock()
		if sc != nil {
			continue // run (or kept) already: it runs again only after a stop
		}
		in := l.sim.Instance(r.ID)
		if in == nil {
			continue
		}
		sc, err := l.runScript(ctx, in, r.UserData)
		if err != nil {
			errs = append(errs, fmt.Errorf("instance %s: user data: %w", r.ID, err))
			continue
		}
		l.ud.mu.Lock()
		l.ud.scripts[r.ID] = sc
		l.ud.mu.Unlock()
	}
	return errors.Join(errs...)
}

// userDataDir is where instance id's user data runs: under the run's
// directory, which goes with the run's state file (Close, clean).
func (l *Lab) userDataDir(id string) string {
	return filepath.Join(state.RunDir(l.sim.StateDir(), l.RunID()), "userdata", id)
}

func (l *Lab) runScript(_ context.Context, in *sim.Instance, text string) (*script, error) {
	sc := &script{text: text, out: &tail{max: consoleMax}, dir: l.userDataDir(in.Name)}
	if !strings.HasPrefix(text, "#!") {
		sc.out.Write([]byte(notRun))
		return sc, nil
	}
	if err := os.MkdirAll(sc.dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(sc.dir, "user-data")
	if err := os.WriteFile(path, []byte(text), 0o700); err != nil {
		return nil, err
	}
	// The lab's context would end the script with the call that
	// started it; it ends with the instance or the lab instead.
	p, err := in.Exec(context.Background(), []string{path}, sim.ExecOptions{Dir: sc.dir, Stdout: sc.out, Stderr: sc.out, MaxOutput: 1})
	if err != nil {
		return nil, err
	}
	sc.proc = p
	return sc, nil
}

// stopUserData stops the scripts of instances that runs has no more, or
// has stopped (SIGTERM to the group, SIGKILL after sim.StopGrace).
func (l *Lab) stopUserData(runs []instanceRun) error {
	running := map[string]bool{}
	for _, r := range runs {
		running[r.ID] = r.Running
	}
	l.ud.mu.Lock()
	var stop []*script
	for id, sc := range l.ud.scripts {
		if !running[id] {
			stop = append(stop, sc)
			delete(l.ud.scripts, id)
		}
	}
	l.ud.mu.Unlock()
	var errs []error
	for _, sc := range stop {
		if sc.proc != nil {
			errs = append(errs, sc.proc.Stop(sim.StopGrace))
		}
		errs = append(errs, os.RemoveAll(sc.dir))
	}
	return errors.Join(errs...)
}

// ConsoleOutput returns what instance id's user data script wrote
// (standard output and error together, the last 64 KiB), or a line
// saying its user data was not run; empty when it has none.
func (l *Lab) ConsoleOutput(instanceID string) ([]byte, error) {
	l.ud.mu.Lock()
	sc := l.ud.scripts[instanceID]
	l.ud.mu.Unlock()
	if sc == nil {
		if l.sim.Instance(instanceID) == nil {
			return nil, fmt.Errorf("console output: %w %s", errNoInstance, instanceID)
		}
		return nil, nil
	}
	return sc.out.bytes(), nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
