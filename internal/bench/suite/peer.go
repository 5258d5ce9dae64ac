package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/mirrorlab/mirrorlab/internal/bench/vpc"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// GoReplayVersion is the peer the bench installs and measures.
const GoReplayVersion = "v1.3.2"

// FindGoReplay returns the goreplay binary: the given path, else goreplay
// (or gor) on PATH, else $GOBIN, $GOPATH/bin or ~/go/bin.
func FindGoReplay(given string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("goreplay binary: %w", err)
		}
		return given, nil
	}
	for _, name := range []string{"goreplay", "gor"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		dirs = append(dirs, filepath.Join(strings.Split(d, ":")[0], "bin"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "goreplay")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("goreplay %s not found on PATH or in the Go bin directories: install it with `make bench-deps` "+
		"(CGO_ENABLED=1 go install github.com/buger/goreplay@%s, needs libpcap-dev)", GoReplayVersion, GoReplayVersion)
}

// peerPhase measures GoReplay capturing on a kernel vxlan0 in the adapter
// (the reference walk-through's set-up) and replaying to the test server.
func (b *bench) peerPhase(ctx context.Context, run int, env *vpc.Env, srv *servers) {
	bin, err := FindGoReplay(b.cfg.GoReplay)
	if err != nil {
		b.failReplay(labelGoReplay, err)
		return
	}
	if _, err := env.Adapter.AddVXLAN("eth0", "vxlan0", vpc.MirrorVNI); err != nil {
		b.failReplay(labelGoReplay, err)
		return
	}
	defer func() {
		if err := delLink(env.Adapter, "vxlan0"); err != nil {
			b.cfg.logf("remove vxlan0: %v", err)
		}
	}()
	b.cfg.logf("  run %d goreplay: %s on vxlan0 in %s", run, bin, env.Adapter.NsName)
	p, err := env.Adapter.Exec(ctx, []string{bin, "--input-raw", "vxlan0:" + strconv.Itoa(HTTPPort),
		"--output-http", srv.testURL, "--input-raw-expire", "500ms"}, sim.ExecOptions{})
	if err != nil {
		b.failReplay(labelGoReplay, fmt.Errorf("start goreplay: %w", err))
		return
	}
	gr := &procReplayer{p: p}
	defer func() {
		if err := gr.Stop(); err != nil {
			b.cfg.logf("stop goreplay: %v", err)
		}
	}()
	// Give it time to open the capture; fail early if it died.
	select {
	case <-p.Done():
		out, _ := p.Stderr()
		b.failReplay(labelGoReplay, fmt.Errorf("goreplay exited at start: %s", strings.TrimSpace(string(out))))
		return
	case <-time.After(time.Second):
	}
	b.replayLoads(ctx, run, labelGoReplay, env, srv, gr)
}

// procReplayer samples a child process through /proc.
type procReplayer struct{ p *sim.Process }

func (r *procReplayer) Sample() (time.Duration, uint64, bool) {
	cpu, rss, err := procUsage(r.p.Pid())
	return cpu, rss, err == nil
}

func (r *procReplayer) Diag() string { return "" }

func (r *procReplayer) Exited() error {
	select {
	case <-r.p.Done():
		out, _ := r.p.Stderr()
		tail := strings.TrimSpace(string(out))
		if len(tail) > 300 {
			tail = "…" + tail[len(tail)-300:]
		}
		return fmt.Errorf("goreplay exited (code %d): %s", r.p.ExitCode(), tail)
	default:
		return nil
	}
}

func (r *procReplayer) Stop() error { return stopProcess(r.p, 2*time.Second) }

// procUsage reads a process's CPU time (utime+stime of /proc/PID/stat) and
// peak RSS (VmHWM of /proc/PID/status).
func procUsage(pid int) (time.Duration, uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command end", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	cpu := time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ 100
	st2, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return cpu, 0, err
	}
	for _, line := range strings.Split(string(st2), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return cpu, 0, fmt.Errorf("/proc/%d/status VmHWM: %w", pid, err)
			}
			return cpu, kb << 10, nil
		}
	}
	return cpu, 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// delLink removes an interface inside an instance (ip link del NAME).
func delLink(in *sim.Instance, name string) error {
	h, err := netlink.NewHandleAt(in.NS())
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		return err
	}
	return h.LinkDel(l)
}
