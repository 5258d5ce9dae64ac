package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/sim/state"

	"github.com/mirrorlab/mirrorlab/internal/nsrun"
)

// StopGrace is how long Close lets a program run after SIGTERM before it
// sends SIGKILL.
const StopGrace = time.Second

var (
	errClosed  = errors.New("lab is closed")
	errRemoved = errors.New("removed from the lab")
)

// enter returns a duplicate of the namespace handle ns, valid even if the
// lab closes meanwhile; release closes it. It fails once the lab is closed,
// so a handle number reused after Close is never entered.
//
// ns points at the handle, read under the lab's lock: a namespace removed
// while the lab runs has its handle set to netns.None() before it is
// closed, so a late caller gets errRemoved instead of whatever the
// handle's number means by then.
func (l *Lab) enter(ns *netns.NsHandle) (netns.NsHandle, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return netns.None(), func() {}, errClosed
	}
	if !ns.IsOpen() {
		return netns.None(), func() {}, errRemoved
	}
	fd, err := unix.FcntlInt(uintptr(*ns), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return netns.None(), func() {}, fmt.Errorf("duplicate namespace handle: %w", err)
	}
	return netns.NsHandle(fd), func() { unix.Close(fd) }, nil
}

// run calls fn on a throwaway thread inside ns (see nsrun.Go).
func (l *Lab) run(ns *netns.NsHandle, fn func() error) error {
	dup, release, err := l.enter(ns)
	if err != nil {
		return err
	}
	defer release()
	return nsrun.Run(dup, fn)
}

// Run calls fn on a throwaway OS thread inside the instance's namespace.
// Sockets fn creates stay in the namespace and may be used from any
// goroutine afterwards; the caller's thread never moves.
func (in *Instance) Run(fn func() error) error { return in.lab.run(&in.ns, fn) }

// Run calls fn on a throwaway OS thread inside the fabric namespace.
func (f *Fabric) Run(fn func() error) error { return f.lab.run(&f.ns, fn) }

func (l *Lab) isClosing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closing
}

func (l *Lab) addProc(p *Process) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return errClosed
	}
	l.procs[p] = struct{}{}
	return nil
}

func (l *Lab) removeProc(p *Process) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.procs, p)
}

// Close tears the lab down: it stops every program started with Exec
// (SIGTERM, SIGKILL after StopGrace), kills any other process left in the
// lab's namespaces, closes its handles, deletes its namespaces (which
// removes every bridge, veth and VXLAN device with them) and, when all of
// that worked, its state file. It returns every error, joined. Calling it
// again returns the first result.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		l.changeMu.Lock() // a change under way ends first
		defer l.changeMu.Unlock()
		l.closeErr = l.close()
	})
	return l.closeErr
}

func (l *Lab) close() error {
	l.mu.Lock()
	l.closing = true
	procs := make([]*Process, 0, len(l.procs))
	for p := range l.procs {
		procs = append(procs, p)
	}
	l.mu.Unlock()

	errs := stopAll(procs)
	if _, err := state.KillInNamespaces(l.created, StopGrace); err != nil {
		errs = append(errs, err)
	}
	for _, in := range l.instances {
		in.nl.Close()
		errs = append(errs, closeNS(in.ns, in.NsName))
	}
	for _, f := range l.fabrics {
		f.nl.Close()
		errs = append(errs, closeNS(f.ns, f.NsName))
	}
	for _, g := range l.transits {
		g.nl.Close()
		errs = append(errs, closeNS(g.ns, g.NsName))
	}
	for _, name := range slices.Backward(l.created) {
		errs = append(errs, state.DeleteNamespace(name))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close lab %s (state kept in %s for a later sweep): %w", l.runID, l.stateDir, err)
	}
	return state.Remove(l.stateDir, l.runID)
}

func closeNS(ns netns.NsHandle, name string) error {
	if err := ns.Close(); err != nil {
		return fmt.Errorf("close handle of namespace %s: %w", name, err)
	}
	return nil
}
