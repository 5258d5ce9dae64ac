package dataplane

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// kernAttachTook is the time the in-kernel path spent attaching its
// programs so far (none without it).
func (s *Service) kernAttachTook() time.Duration {
	if s.kern == nil {
		return 0
	}
	return s.kern.attachTook
}

// attachSources attaches the programs to the source ports that
// startKernel found, fabric by fabric (attachAll).
func (k *kernelPath) attachSources() error {
	for _, fi := range slices.Sorted(maps.Keys(k.sources)) {
		if err := k.attachAll(fi, k.sources[fi]); err != nil {
			return err
		}
	}
	k.sources = nil
	return nil
}

// attachAll attaches the programs to the source ports of fabric fi, and
// readies the receivers' ports there (receiverQdiscs): every port's
// qdisc first, then the sources' filters (see tcFilters); a receiver's
// filters go on when the plan first sends it copies (attach).
func (k *kernelPath) attachAll(fi int, ports []sourcePort) error {
	defer func(t time.Time) { k.attachTook += time.Since(t) }(time.Now())
	kf := k.fabrics[fi]
	for _, p := range ports {
		if _, done := kf.attached[p.e.PeerIndex]; done {
			continue
		}
		created, err := tcQdisc(kf.nl, p.e.PeerIndex)
		if err != nil {
			return fmt.Errorf("fabric %s: attach to port %d of %s: %w", kf.name, p.e.PeerIndex, portOf(p.id, p.e), err)
		}
		kf.attached[p.e.PeerIndex] = created // detach removes what it added
	}
	if err := k.receiverQdiscs(fi); err != nil {
		return err
	}
	in, out := kf.path.TCPrograms()
	for _, p := range ports {
		if err := tcFilters(kf.nl, p.e.PeerIndex, in, out); err != nil {
			return fmt.Errorf("fabric %s: attach to port %d of %s: %w", kf.name, p.e.PeerIndex, portOf(p.id, p.e), err)
		}
		kf.path.MarkAttached(p.e.PeerIndex, true)
	}
	return nil
}

// receiverQdiscs adds the clsact qdisc to the port of every receiver in
// fabric fi that the service knows (their filters go on in attach, once a
// grace period has passed: see tcFilters).
func (k *kernelPath) receiverQdiscs(fi int) error {
	kf := k.fabrics[fi]
	for _, t := range k.svc.targets {
		ifindex := int(t.port.ifindex)
		if !t.port.ok || t.port.fabric != fi {
			continue
		}
		if _, done := kf.attached[ifindex]; done {
			continue
		}
		if _, done := kf.pending[ifindex]; done {
			continue
		}
		created, err := tcQdisc(kf.nl, ifindex)
		if err != nil {
			return fmt.Errorf("fabric %s: attach to port %d of receiver %s of target %s: %w", kf.name, ifindex, t.eniID, t.id, err)
		}
		kf.pending[ifindex] = created
	}
	return nil
}

// attach puts the programs on port ifindex of fabric fi once; what names
// the port (the network interface or receiver behind it) in an error.
func (k *kernelPath) attach(fi, ifindex int, what string) error {
	kf := k.fabrics[fi]
	if _, done := kf.attached[ifindex]; done {
		return nil
	}
	defer func(t time.Time) { k.attachTook += time.Since(t) }(time.Now())
	in, out := kf.path.TCPrograms()
	created, pending := kf.pending[ifindex]
	var err error
	if pending {
		delete(kf.pending, ifindex)
		if err = tcFilters(kf.nl, ifindex, in, out); err != nil {
			err = errors.Join(err, tcDetach(kf.nl, ifindex, created))
		}
	} else {
		created, err = tcAttach(kf.nl, ifindex, in, out)
	}
	if err != nil {
		return fmt.Errorf("fabric %s: attach to port %d of %s: %w", kf.name, ifindex, what, err)
	}
	kf.attached[ifindex] = created
	kf.path.MarkAttached(ifindex, true)
	return nil
}

// detach takes the programs off every port of fabric kf, and closes its
// netlink socket.
func (kf *kernelFabric) detach() error {
	var errs []error
	for ifindex, created := range kf.attached {
		errs = append(errs, tcDetach(kf.nl, ifindex, created))
		kf.path.MarkAttached(ifindex, false)
	}
	for ifindex, created := range kf.pending {
		if created {
			errs = append(errs, tcDetach(kf.nl, ifindex, created))
		}
	}
	clear(kf.attached)
	clear(kf.pending)
	kf.nl.Close()
	return errors.Join(errs...)
}
