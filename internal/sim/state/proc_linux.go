package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// StartTime returns the start time of process pid (field 22 of
// /proc/<pid>/stat, clock ticks after boot) and whether it is a zombie.
func StartTime(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	start, zombie, err = parseStat(b)
	if err != nil {
		return 0, false, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return start, zombie, nil
}

// parseStat reads the state and start time out of a /proc/<pid>/stat line.
func parseStat(b []byte) (start uint64, zombie bool, err error) {
	// The command name (field 2) may contain spaces and ')'; fields after
	// the last ')' are plain.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, errors.New("malformed")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return 0, false, fmt.Errorf("%d fields", len(f)+2)
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("start time: %w", err)
	}
	return start, string(f[0]) == "Z" || string(f[0]) == "X", nil
}

// Self returns the owner identity of the calling process.
func Self() (pid int, start uint64, err error) {
	pid = os.Getpid()
	start, _, err = StartTime(pid)
	return pid, start, err
}

// Alive reports whether the process that owns a run still lives: the PID
// exists, is not a zombie, and started when the record says (a PID reused by
// another process does not count).
func Alive(pid int, start uint64) bool {
	got, zombie, err := StartTime(pid)
	return err == nil && !zombie && got == start
}

// NetnsDir is where named network namespaces are mounted (as `ip netns`
// has them).
const NetnsDir = "/run/netns"

type nsID struct{ dev, ino uint64 }

func nsIdentity(path string) (nsID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nsID{}, err
	}
	return nsID{uint64(st.Dev), st.Ino}, nil
}

// KillInNamespaces sends SIGKILL to every process (other than the caller)
// whose network namespace is one of the named namespaces, and waits up to
// wait for them to disappear. Namespaces that no longer exist are skipped.
// It returns the PIDs it killed.
func KillInNamespaces(names []string, wait time.Duration) ([]int, error) {
	ids := map[nsID]string{}
	for _, n := range names {
		id, err := nsIdentity(filepath.Join(NetnsDir, n))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("namespace %s: %w", n, err)
		}
		ids[id] = n
	}
	if len(ids) == 0 {
		return nil, nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	var killed []int
	var errs []error
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		id, err := nsIdentity("/proc/" + p.Name() + "/ns/net")
		if err != nil {
			continue // gone, or a kernel thread
		}
		n, ours := ids[id]
		if !ours {
			continue
		}
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill process %d in namespace %s: %w", pid, n, err))
			continue
		}
		killed = append(killed, pid)
	}
	deadline := time.Now().Add(wait)
	for _, pid := range killed {
		for !gone(pid) && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
	}
	return killed, errors.Join(errs...)
}

// gone reports whether pid no longer runs (absent, or a zombie whose parent
// has yet to reap it).
func gone(pid int) bool {
	_, zombie, err := StartTime(pid)
	return err != nil || zombie
}

// DeleteNamespace removes the named network namespace (ip netns delete); a
// namespace that does not exist is not an error. The kernel frees the
// namespace, and every link in it, once nothing refers to it any more.
func DeleteNamespace(name string) error {
	p := filepath.Join(NetnsDir, name)
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete namespace %s: unmount: %w", name, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		if errors.Is(err, unix.EBUSY) {
			// The unmount above found nothing mounted at p, yet p is a
			// mount point: its mount lies under one made later on
			// /run/netns (an `ip netns add` that bind-mounted the
			// directory onto itself after this namespace was made).
			return fmt.Errorf("delete namespace %s: %w (its mount is hidden under a later mount on %s: once no lab runs, `umount %s` uncovers it and mirrorlab clean can remove it)", name, err, NetnsDir, NetnsDir)
		}
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	return nil
}

// Sweep removes every run recorded in dir whose owner process is dead:
// it kills the processes left in the run's namespaces, deletes the
// namespaces and then the state file. Live runs, and anything no state file
// names, are left alone. It returns the ids of the runs it removed; runs it
// could not read or remove are reported in the joined error (and keep their
// state file, so a later sweep retries).
func Sweep(dir string) ([]string, error) {
	ids, err := List(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, id := range ids {
		r, err := Load(dir, id)
		if errors.Is(err, os.ErrNotExist) {
			continue // its owner closed it meanwhile
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if Alive(r.PID, r.StartTime) {
			continue
		}
		if err := Teardown(r); err != nil {
			errs = append(errs, fmt.Errorf("sweep run %s: %w", id, err))
			continue
		}
		if err := Remove(dir, id); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, id)
	}
	return removed, errors.Join(errs...)
}

// Teardown kills the processes in the run's namespaces and deletes the
// namespaces, returning every error.
func Teardown(r *Run) error {
	if err := r.check(); err != nil {
		return err
	}
	_, kerr := KillInNamespaces(r.Namespaces, time.Second)
	errs := []error{kerr}
	for _, n := range r.Namespaces {
		errs = append(errs, DeleteNamespace(n))
	}
	return errors.Join(errs...)
}

// PrepareNetnsDir makes /run/netns a shared mount point of its own before
// a namespace is mounted in it, exactly as iproute2's `ip netns add` does.
//
// Without it, the first `ip netns add` after our namespaces were mounted
// (by anyone: a user's script, a test, another tool) bind-mounts
// /run/netns onto itself and hides our mounts under the new one: the
// files stay visible, but unmounting them says "not mounted" and removing
// them "device or resource busy", so the lab's namespaces could never be
// deleted again. With /run/netns already a mount point, iproute2 leaves
// it as it is. (A mount in the host's mount namespace, the one iproute2
// makes: no network state of the host changes.)
func PrepareNetnsDir() error {
	if err := os.MkdirAll(NetnsDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", NetnsDir, err)
	}
	for made := false; ; made = true {
		err := unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		// EINVAL: not a mount point yet (or, once made, something else).
		if !errors.Is(err, unix.EINVAL) || made {
			return fmt.Errorf("make %s a shared mount: %w", NetnsDir, err)
		}
		if err := unix.Mount(NetnsDir, NetnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s onto itself: %w", NetnsDir, err)
		}
	}
}
