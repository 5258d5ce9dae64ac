package dataplane

import (
	"errors"
	"sync"

	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
)

// Preload is the in-kernel path's programs and maps being loaded ahead of
// Start (StartPreload), so that a lab loads them while its namespaces are
// made: loading is mostly the verifier's work (about half a second of CPU
// on the 2-core development VM), and a program belongs to no namespace
// until it is attached. Start (Config.Preload) takes a loaded path for
// each fabric it loads, as long as some are left; Close releases those it
// did not take. A path that failed to load is loaded again by Start, so
// that the failure is handled as without a Preload.
type Preload struct {
	paths chan *kpath.Path // one per path asked, nil when it failed
	mu    sync.Mutex
	left  int // paths not taken yet
}

// StartPreload starts loading n paths (one per fabric namespace the
// service will load the in-kernel path into), each in its own goroutine.
func StartPreload(n int) *Preload {
	p := &Preload{paths: make(chan *kpath.Path, n), left: n}
	for range n {
		go func() {
			path, err := kpath.Load()
			if err != nil {
				path = nil
			}
			p.paths <- path
		}()
	}
	return p
}

// load returns a preloaded path, waiting for it if it is still loading,
// or loads one when none is left or its loading failed.
func (p *Preload) load() (*kpath.Path, error) {
	p.mu.Lock()
	if p.left == 0 {
		p.mu.Unlock()
		return kpath.Load()
	}
	p.left--
	p.mu.Unlock()
	if path := <-p.paths; path != nil {
		return path, nil
	}
	return kpath.Load()
}

// Close waits for the paths that were not taken and releases them.
// Calling it again does nothing.
func (p *Preload) Close() error {
	p.mu.Lock()
	n := p.left
	p.left = 0
	p.mu.Unlock()
	var errs []error
	for range n {
		if path := <-p.paths; path != nil {
			errs = append(errs, path.Close())
		}
	}
	return errors.Join(errs...)
}
