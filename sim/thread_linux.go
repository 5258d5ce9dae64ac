package sim

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// goThrowaway runs fn on a new goroutine locked to an OS thread that the Go
// runtime discards when fn returns, so fn may move the thread into another
// namespace without any other goroutine ever running there.
//
// The runtime discards the thread of a goroutine that exits locked, except
// the process's main thread, which it parks for ever instead: a main thread
// left in a lab namespace would keep the namespace, and every link in it,
// alive after Close. So if the goroutine lands on the main thread, it holds
// it while a second goroutine (necessarily on another thread) takes over.
func goThrowaway(fn func()) {
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

// runIn calls fn on a throwaway thread inside ns and returns its error.
// Sockets fn creates stay in ns; a child process fn starts inherits ns.
func runIn(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	goThrowaway(func() {
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter network namespace: %w", err)
			return
		}
		errc <- fn()
	})
	return <-errc
}
