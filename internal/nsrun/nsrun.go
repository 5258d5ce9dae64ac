package nsrun

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Run calls fn on a throwaway OS thread that has entered ns, and returns
// fn's error. The caller's thread and namespace are never changed.
func Run(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: when this goroutine returns, the runtime
		// terminates the thread, so no goroutine can inherit the namespace.
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		errc <- fn()
	}()
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
