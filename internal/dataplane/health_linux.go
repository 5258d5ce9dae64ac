package dataplane

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// HealthCheck configures the TCP health checks of load-balancer targets
// (as an NLB's target group does): every Interval, a TCP connection to each
// registered target's Port, from the fabric namespace; Timeout to connect.
// UnhealthyThreshold consecutive failures take a healthy target out of
// rotation, HealthyThreshold consecutive successes put it back.
type HealthCheck struct {
	// Port is the TCP port checked on every registered target; 0 disables
	// health checks (every target keeps the health the model gives it).
	Port               int
	Interval           time.Duration // default 1s
	Timeout            time.Duration // default Interval/2
	HealthyThreshold   int           // default 3
	UnhealthyThreshold int           // default 2
}

func (h HealthCheck) withDefaults() HealthCheck {
	if h.Interval <= 0 {
		h.Interval = time.Second
	}
	if h.Timeout <= 0 || h.Timeout > h.Interval {
		h.Timeout = h.Interval / 2
	}
	if h.HealthyThreshold <= 0 {
		h.HealthyThreshold = 3
	}
	if h.UnhealthyThreshold <= 0 {
		h.UnhealthyThreshold = 2
	}
	return h
}

// checkTarget is one registered target of one load balancer.
type checkTarget struct {
	lb, eni   string     // model ids
	ip        netip.Addr // the target ENI's primary IPv4 address
	healthy   bool
	streak    int         // consecutive results contradicting healthy
	published atomic.Bool // healthy, for Snapshot
}

// healthRound checks every target once, concurrently, from the calling
// thread's namespace: one non-blocking connect per target, then poll until
// all have answered or timeout passes. ok[i] reports target i's result. The
// sockets carry mark, so the captures never mirror the checks.
func healthRound(targets []checkTarget, port int, timeout time.Duration, mark uint32, fds []int, pfds []unix.PollFd, ok []bool) error {
	var errs []error
	for i := range targets {
		ok[i] = false
		fds[i] = -1
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			errs = append(errs, fmt.Errorf("health check socket: %w", err))
			continue
		}
		fds[i] = fd
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(mark)); err != nil {
			errs = append(errs, fmt.Errorf("health check SO_MARK: %w", err))
		}
		sa := &unix.SockaddrInet4{Port: port, Addr: targets[i].ip.As4()}
		switch err := unix.Connect(fd, sa); {
		case err == nil:
			ok[i] = true
		case errors.Is(err, unix.EINPROGRESS):
		default:
			// Refused at once: the result stays false.
			unix.Close(fd)
			fds[i] = -1
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		pfds = pfds[:0]
		for i, fd := range fds[:len(targets)] {
			if fd >= 0 && !ok[i] {
				pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT})
			}
		}
		left := time.Until(deadline)
		if len(pfds) == 0 || left <= 0 {
			break
		}
		n, err := unix.Poll(pfds, int(left/time.Millisecond)+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("health check poll: %w", err))
			break
		}
		if n == 0 {
			break
		}
		done := 0
		for _, p := range pfds {
			if p.Revents == 0 {
				continue
			}
			i := indexOf(fds[:len(targets)], int(p.Fd))
			if i < 0 {
				continue
			}
			soerr, err := unix.GetsockoptInt(int(p.Fd), unix.SOL_SOCKET, unix.SO_ERROR)
			ok[i] = err == nil && soerr == 0
			unix.Close(int(p.Fd))
			fds[i] = -1
			done++
		}
		if done == 0 {
			break
		}
	}
	for i, fd := range fds[:len(targets)] {
		if fd >= 0 {
			unix.Close(fd)
			fds[i] = -1
		}
	}
	return errors.Join(errs...)
}

func indexOf(fds []int, fd int) int {
	for i, f := range fds {
		if f == fd {
			return i
		}
	}
	return -1
}

// apply folds one round's results into the targets' states and returns the
// indexes whose health changed.
func applyHealth(targets []checkTarget, ok []bool, h HealthCheck, changed []int) []int {
	changed = changed[:0]
	for i := range targets {
		t := &targets[i]
		if ok[i] == t.healthy {
			t.streak = 0
			continue
		}
		t.streak++
		need := h.UnhealthyThreshold
		if !t.healthy {
			need = h.HealthyThreshold
		}
		if t.streak >= need {
			t.healthy = ok[i]
			t.streak = 0
			changed = append(changed, i)
		}
	}
	return changed
}

// healthChecker checks the registered targets of the load balancers that
// live in one fabric, from a thread inside that fabric's namespace, and
// feeds the results to the model.
type healthChecker struct {
	fabric  *sim.Fabric
	model   *cloudmock.Model
	cfg     HealthCheck
	mark    uint32
	targets []checkTarget
	logger  *slog.Logger
	// changed, when set, is called after the model learnt new health.
	changed func()
}

// run checks every Interval until done is closed.
func (h *healthChecker) run(done <-chan struct{}) {
	err := h.fabric.Run(func() error {
		n := len(h.targets)
		fds, ok := make([]int, n), make([]bool, n)
		pfds := make([]unix.PollFd, 0, n)
		var changed []int
		tick := time.NewTicker(h.cfg.Interval)
		defer tick.Stop()
		for {
			if err := healthRound(h.targets, h.cfg.Port, h.cfg.Timeout, h.mark, fds, pfds, ok); err != nil {
				h.logger.Warn("health check round", "error", err)
			}
			changed = applyHealth(h.targets, ok, h.cfg, changed)
			for _, i := range changed {
				t := &h.targets[i]
				if err := h.model.SetTargetHealth(t.lb, t.eni, t.healthy); err != nil {
					h.logger.Warn("set target health", "error", err)
				}
			}
			if len(changed) > 0 && h.changed != nil {
				h.changed() // before the news is published
			}
			for _, i := range changed {
				t := &h.targets[i]
				t.published.Store(t.healthy)
				h.logger.Info("target health changed", "load_balancer", t.lb, "target", t.eni,
					"addr", t.ip, "healthy", t.healthy)
			}
			select {
			case <-done:
				return nil
			case <-tick.C:
			}
		}
	})
	if err != nil {
		h.logger.Warn("health checks stopped", "error", err)
	}
}

// healthGen is the set of health checkers of one configuration's load
// balancers; Apply replaces it when the registered targets change.
type healthGen struct {
	checks []*healthChecker
	keys   []string // "lb|eni|ip" of every checked target, sorted
	done   chan struct{}
	wg     sync.WaitGroup
}

func (g *healthGen) start() {
	for _, h := range g.checks {
		g.wg.Add(1)
		go func() { defer g.wg.Done(); h.run(g.done) }()
	}
}

// stop stops the checkers and waits for them; a nil gen does nothing.
func (g *healthGen) stop() {
	if g == nil {
		return
	}
	close(g.done)
	g.wg.Wait()
}

// moveHealthChecks makes the health checks follow the registered targets
// of the model in force: when they changed, the old checkers stop and new
// ones start from the model's health (carried over for targets that stay).
// Called with mu held.
func (s *Service) moveHealthChecks(m *cloudmock.Model, spec *cloudmock.Spec) error {
	g, err := s.buildHealthChecks(m, spec)
	if err != nil {
		return err
	}
	if slices.Equal(g.keys, s.health.keys) {
		return nil
	}
	s.health.stop()
	s.health = g
	g.start()
	return nil
}

// buildHealthChecks makes one checker per fabric holding registered
// targets of the spec's load balancers (nothing without a spec or a port).
func (s *Service) buildHealthChecks(m *cloudmock.Model, spec *cloudmock.Spec) (*healthGen, error) {
	g := &healthGen{done: make(chan struct{})}
	if spec == nil || s.cfg.HealthCheck.Port == 0 {
		return g, nil
	}
	byFabric := map[*sim.Fabric]*healthChecker{}
	for _, lb := range spec.LoadBalancers {
		for _, td := range lb.Targets {
			ref, ok := m.ENI(td.NetworkInterfaceId)
			if !ok {
				return nil, fmt.Errorf("load balancer %s: registered target %s is not in the model", lb.LoadBalancerArn, td.NetworkInterfaceId)
			}
			e, err := s.simENI(m, ref)
			if err != nil {
				return nil, fmt.Errorf("load balancer %s: registered target %w", lb.LoadBalancerArn, err)
			}
			f := s.cfg.Lab.Fabric(e.VPC)
			h := byFabric[f]
			if h == nil {
				h = &healthChecker{fabric: f, model: m, cfg: s.cfg.HealthCheck, mark: s.cfg.Mark,
					logger: s.cfg.Logger.With("fabric", f.NsName), changed: s.kernelTargetHealthChanged}
				byFabric[f] = h
				g.checks = append(g.checks, h)
			}
			// Start from the model's state, so a target marked unhealthy
			// before Start stays out until its checks pass.
			healthy, err := m.TargetHealth(lb.LoadBalancerArn, td.NetworkInterfaceId)
			if err != nil {
				return nil, fmt.Errorf("load balancer %s: %w", lb.LoadBalancerArn, err)
			}
			ip := m.ENIAddr(ref)
			h.targets = append(h.targets, checkTarget{lb: lb.LoadBalancerArn, eni: td.NetworkInterfaceId,
				ip: ip, healthy: healthy})
			g.keys = append(g.keys, lb.LoadBalancerArn+"|"+td.NetworkInterfaceId+"|"+ip.String())
		}
	}
	slices.Sort(g.keys)
	for _, h := range g.checks {
		for i := range h.targets {
			h.targets[i].published.Store(h.targets[i].healthy)
		}
	}
	return g, nil
}
