package runner

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/lab"
)

// build brings the scenario's lab up, the one sequence of run, up and
// serve: the lab (lab.Build: network, VXLAN devices, mirror service; the
// receivers' captures when the run judges), then the programs. r.mspec is
// the mirror configuration. r.lab is set once the lab exists, even when a
// program then fails: the caller tears it down.
func (r *run) build(ctx context.Context) error {
	cfg, err := r.labConfig()
	if err != nil {
		return err
	}
	if _, err := lab.Build(ctx, cfg); err != nil {
		r.lab = nil // Build took down what it built
		return err
	}
	r.res.RunID = r.lab.RunID()
	return r.timed(report.PhasePrograms, func() error { return r.startPrograms(ctx) })
}

// labConfig describes the scenario's lab.
func (r *run) labConfig() (lab.Config, error) {
	topo, err := r.s.Topology()
	if err != nil {
		return lab.Config{}, err
	}
	m := &lab.Mirror{Spec: r.mspec, ModelOptions: []cloudmock.Option{cloudmock.WithSeed(r.s.Seed())},
		AllENIs: r.allENIs, UserSpaceOnly: r.opts.UserSpaceOnly}
	if r.opts.PcapDir != "" {
		m.PcapDir = filepath.Join(r.opts.PcapDir, r.s.Name)
	}
	m.HealthCheckPort = r.s.HealthCheckPort()
	for _, t := range r.s.UnhealthyTargets() {
		m.Unhealthy = append(m.Unhealthy, lab.Target{LoadBalancer: r.id(t.LoadBalancer), ENI: r.id(t.NetworkInterface)})
	}
	cfg := lab.Config{Name: r.s.Name, File: r.s.File, Topology: topo, VXLAN: r.vxlanDevices(), Mirror: m,
		RunID: r.opts.RunID, StateDir: r.opts.StateDir, Logger: r.log, Progress: r.progress, Phase: r.timed}
	cfg.Started = func(l *lab.Lab) error {
		r.lab = l
		l.OnClose(r.stopAll)
		l.OnStatus(r.programStatus)
		if r.judging {
			return r.startCaptures()
		}
		return nil
	}
	return cfg, nil
}

// vxlanDevices are the scenario's kernel VXLAN devices.
func (r *run) vxlanDevices() []lab.VXLANDevice {
	var out []lab.VXLANDevice
	for _, in := range r.s.Network.Instances.List {
		for _, d := range in.VXLANDevices {
			ifname := spec.IfName(0)
			if d.NetworkInterface != "" {
				_, ifname, _ = r.s.ENILocation(d.NetworkInterface)
			}
			out = append(out, lab.VXLANDevice{Instance: in.Name, Dev: ifname, Name: d.Name, VNI: uint32(d.VNI)})
		}
	}
	return out
}

// stopAll stops and releases the programs and the captures, as the lab
// comes down.
func (r *run) stopAll() error {
	var errs []error
	r.stopPrograms()
	for _, c := range r.captures {
		c.stop()
	}
	for _, p := range r.progs {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}
