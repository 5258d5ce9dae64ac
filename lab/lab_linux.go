package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// Supported reports whether this process can build a lab: ErrNeedsRoot
// unless it runs as root.
func Supported() error { return supported(os.Geteuid()) }

func supported(euid int) error {
	if euid != 0 {
		return ErrNeedsRoot
	}
	return nil
}

// errNoInstance: a Config names an instance its topology lacks.
var errNoInstance = errors.New("no instance")

// Lab is a running lab: its namespaces and, when started, its mirror
// service. Its methods are safe for concurrent use.
type Lab struct {
	cfg     Config
	sim     *sim.Lab
	started time.Time

	applyMu sync.Mutex // one Apply at a time, none once done
	mu      sync.Mutex
	svc     *dataplane.Service
	spec    cloudmock.Spec // the running service's configuration
	mirror  Mirror         // how it was started (FollowSpec may restart it)
	ud      userData       // instances' user data (FollowSpec)
	status  []func(*Status)
	closers []func() error
	pub     *publisher
	done    bool
	// preload is the in-kernel path loading while Build makes the
	// namespaces (nil once the mirror service started: see preloadKernel).
	preload *dataplane.Preload
}

// Build builds the lab that cfg describes: root check, the mirror model
// (before anything exists), the namespaces (sim.Realize), the VXLAN
// devices, then the mirror service and cfg.Started. On failure nothing it
// built is left.
func Build(ctx context.Context, cfg Config) (_ *Lab, err error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var model *cloudmock.Model
	if cfg.Mirror != nil {
		if model, err = cloudmock.New(cfg.Mirror.Spec, cfg.Mirror.ModelOptions...); err != nil {
			return nil, fmt.Errorf("build the provider model: %w", err)
		}
	}
	l := &Lab{cfg: cfg, started: time.Now(), ud: userData{scripts: map[string]*script{}}}
	l.preloadKernel()
	defer l.releasePreload()
	l.progress("building the VPC: %d VPC(s), %d instance(s)", len(cfg.Topology.VPCs), len(cfg.Topology.Instances))
	if err := l.phase(PhaseBuild, func() error { return l.realize(ctx) }); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()
	return l, l.phase(PhaseDataPlane, func() error {
		if model != nil {
			if err := l.startMirror(ctx, *cfg.Mirror, model); err != nil {
				return err
			}
		}
		if cfg.Started != nil {
			return cfg.Started(l)
		}
		return nil
	})
}

func (l *Lab) phase(name string, step func() error) error {
	if l.cfg.Phase == nil {
		return step()
	}
	return l.cfg.Phase(name, step)
}

func (l *Lab) progress(format string, args ...any) {
	if l.cfg.Progress != nil {
		l.cfg.Progress(format, args...)
	}
}

// realize builds the namespaces and the VXLAN devices.
func (l *Lab) realize(ctx context.Context) (err error) {
	l.sim, err = sim.Realize(ctx, l.cfg.Topology, sim.Options{RunID: l.cfg.RunID, StateDir: l.cfg.StateDir})
	if err != nil {
		return fmt.Errorf("build the VPC: %w", err)
	}
	for _, d := range l.cfg.VXLAN {
		in := l.sim.Instance(d.Instance)
		if in == nil {
			err = fmt.Errorf("vxlan device %s: %w %s", d.Name, errNoInstance, d.Instance)
		} else if _, err = in.AddVXLAN(d.Dev, d.Name, d.VNI); err != nil {
			err = fmt.Errorf("instance %s: %w", d.Instance, err)
		}
		if err != nil {
			return errors.Join(err, l.sim.Close())
		}
		l.progress("%s: kernel VXLAN device %s (VNI %d, dev %s, dstport 4789)", d.Instance, d.Name, d.VNI, d.Dev)
	}
	return nil
}

// preloadKernel starts loading the in-kernel path of the mirror service
// that Build will start, so that it loads while the namespaces are made
// (dataplane.StartPreload): one fabric's, the common case (a fabric with
// no source needs none; another loads in Start).
func (l *Lab) preloadKernel() {
	if m := l.cfg.Mirror; m != nil && !m.UserSpaceOnly && len(l.cfg.Topology.VPCs) > 0 {
		l.preload = dataplane.StartPreload(1)
	}
}

// releasePreload releases what the mirror service did not take of the
// preload, once Build is done with it.
func (l *Lab) releasePreload() {
	if l.preload == nil {
		return
	}
	if err := l.preload.Close(); err != nil {
		l.cfg.Logger.Warn("release the preloaded in-kernel path", "error", err)
	}
	l.preload = nil
}

// startMirror starts the mirror service on model, built from m.Spec.
func (l *Lab) startMirror(ctx context.Context, m Mirror, model *cloudmock.Model) error {
	cfg := dataplane.Config{Model: model, Spec: &m.Spec, Lab: l.sim, Logger: l.cfg.Logger,
		AllENIs: m.AllENIs, UserSpaceOnly: m.UserSpaceOnly, PcapDir: m.PcapDir, Preload: l.preload}
	cfg.HealthCheck.Port = m.HealthCheckPort
	if m.PcapDir != "" {
		if err := os.MkdirAll(m.PcapDir, 0o755); err != nil {
			return fmt.Errorf("pcap directory: %w", err)
		}
	}
	for _, t := range m.Unhealthy {
		if err := model.SetTargetHealth(t.LoadBalancer, t.ENI, false); err != nil {
			return err
		}
	}
	svc, err := dataplane.Start(ctx, cfg)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.svc, l.spec, l.mirror = svc, m.Spec, m
	l.mu.Unlock()
	l.progress("mirror service started: %d session(s) on %d source interface(s)", len(m.Spec.TrafficMirrorSessions), len(model.SourceENIs()))
	return nil
}
