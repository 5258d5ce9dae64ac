package nsrun

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Go runs fn on a new goroutine locked to an OS thread that the Go runtime
// discards when fn returns, so fn may move the thread into another namespace
// without any other goroutine ever running there.
//
// The runtime discards the thread of a goroutine that exits locked, except
// the process's main thread, which it parks for ever instead: a main thread
// left in a lab namespace would keep the namespace, and every link in it,
// alive after the lab is closed. So if the goroutine lands on the main
// thread, it holds that thread while a second goroutine (necessarily on
// another thread, since this one is locked) takes over.
func Go(fn func()) {
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			fn()
			return // still locked: the thread ends here
		}
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			fn()
		}()
		<-locked
		runtime.UnlockOSThread() // the main thread never changed namespace
	}()
}

// Run calls fn on a throwaway OS thread (see Go) that has entered ns, and
// returns fn's error. The caller's thread and namespace are never changed.
func Run(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	Go(func() {
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		errc <- fn()
	})
	return <-errc
}

// RunNamed is Run for a namespace known by its name under /var/run/netns.
func RunNamed(name string, fn func() error) error {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("open network namespace %q: %w", name, err)
	}
	defer ns.Close()
	return Run(ns, fn)
}

// New creates a fresh, unnamed network namespace with its loopback up,
// on a throwaway thread (see Go); the caller's namespace is not changed.
// The namespace lives while the returned handle (or anything inside it)
// does: close the handle to let it go.
func New() (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	ch := make(chan result, 1)
	Go(func() {
		ns, err := netns.New()
		if err == nil {
			var lo netlink.Link
			if lo, err = netlink.LinkByName("lo"); err == nil {
				err = netlink.LinkSetUp(lo)
			}
			if err != nil {
				ns.Close()
			}
		}
		ch <- result{ns, err}
	})
	r := <-ch
	if r.err != nil {
		return netns.None(), fmt.Errorf("create network namespace: %w", r.err)
	}
	return r.ns, nil
}
