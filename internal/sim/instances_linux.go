package sim

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// configureConcurrency bounds how many instances are configured at
// once while the next instances are made (see addInstances).
const configureConcurrency = 4

// configurer configures the instance ends of ENIs (configureENI) on
// goroutines of its own, an instance's in order, and keeps the first
// failure of each instance.
type configurer struct {
	wg      sync.WaitGroup
	slots   chan struct{}
	pending []func() error // the next instance's jobs, until start
	mu      sync.Mutex
	failed  map[*Instance]error
}

func newConfigurer() *configurer {
	return &configurer{slots: make(chan struct{}, configureConcurrency), failed: map[*Instance]error{}}
}

// do adds job to instance in's jobs (started by start).
func (c *configurer) do(job func() error) { c.pending = append(c.pending, job) }

// start runs instance in's jobs, in order, when a slot is free; discard
// drops them (the instance was not made).
func (c *configurer) start(in *Instance) {
	jobs := c.pending
	c.pending = nil
	c.slots <- struct{}{}
	c.wg.Go(func() {
		defer func() { <-c.slots }()
		for _, job := range jobs {
			if err := job(); err != nil {
				c.mu.Lock()
				c.failed[in] = err
				c.mu.Unlock()
				return
			}
		}
	})
}

func (c *configurer) discard() { c.pending = nil }

// wait waits for every job and returns the instances that failed, with
// their errors.
func (c *configurer) wait() map[*Instance]error {
	c.wg.Wait()
	return c.failed
}

// addInstances adds the instances specs, in order, and returns their
// ENIs. Each instance's namespace and the fabric ends of its ENIs are
// made in turn (they take the fabric's port numbers in order), while the
// ENIs' instance ends (up, address, neighbour, routes: five netlink round
// trips on the instance's own socket) are configured concurrently, with
// the next instances being made: on the loaded 2-core VM each round trip
// mostly waits for a CPU. An instance that fails is taken back
// (undoInstances), and so are those not made yet, as before.
func (l *Lab) addInstances(ctx context.Context, specs []InstanceSpec) ([]*ENI, error) {
	configure := newConfigurer()
	var enis []*ENI
	var made []InstanceSpec
	var errs []error
	for i, spec := range specs {
		err := ctx.Err()
		var in *Instance
		if err == nil {
			in, err = l.addInstance(spec, configure)
		}
		if err != nil {
			configure.discard()
			configure.wait()
			errs = append(errs, err, l.undoInstances(in, specs[i:]))
			break
		}
		configure.start(in)
		made = append(made, spec)
		enis = append(enis, in.ENIs...)
	}
	for in, err := range configure.wait() {
		i := slices.IndexFunc(made, func(s InstanceSpec) bool { return s.Name == in.Name })
		errs = append(errs, err, l.undoInstances(in, made[i:i+1]))
	}
	return enis, errors.Join(errs...)
}
