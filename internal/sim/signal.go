package sim

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// CloseOnSignal closes lab when the process receives SIGINT or SIGTERM,
// passes Close's result to report (if not nil), then re-raises the signal
// with its default action so the process ends as the signal meant. Call stop
// to cancel (for instance after closing the lab normally).
//
// A command that already turns signals into context cancellation (and
// closes its lab when its work returns) does not need this; a SIGKILLed run
// is cleaned up by Sweep.
func CloseOnSignal(lab *Lab, report func(error)) (stop func()) {
	c := make(chan os.Signal, 1)
	quit := make(chan struct{})
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-quit:
			return
		case sig := <-c:
			err := lab.Close()
			if report != nil {
				report(err)
			}
			signal.Reset(sig)
			if s, ok := sig.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), s)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(c)
			close(quit)
		})
	}
}
