package dataplane

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/dataplane/internal/kpath"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// kernelPath is the service's in-kernel mirror path (package kpath): per
// fabric namespace one set of programs and maps, attached to the bridge
// ports of the captured ENIs and of the receivers. kpath.PlanModel, which
// reads the model's SourceRules, says which ENI and direction the kernel
// decides; their packets that it
// mirrors never reach the capture rings (the rings' socket filters drop
// them), every other packet does, and the user-space pipeline decides it
// as before. See doc.go.
type kernelPath struct {
	svc     *Service
	fabrics []*kernelFabric // by index in Lab.Fabrics; nil: none loaded there

	// mu guards what follows (flush runs from Snapshot, Apply and Close).
	mu sync.Mutex
	// slots are the session slots in use: those of the plan in force and
	// those of the one before it (a clone in flight may still carry one),
	// by slot; the previous plan's are freed at the next apply.
	slots    map[uint32]*kernelSlot
	previous []uint32
	current  []uint32
	next     uint32 // where the next slot allocation starts
	// ports are the (port, direction) entries the kernel decides now.
	ports map[kernelPortKey]bool
	// decided and why: the plan's verdict per ENI id and direction, for
	// the snapshot.
	decided map[string][2]string
	// txOff are the receiver ports whose transmit checksum offload was
	// switched off, with whether it was on before (then close restores it).
	txOff map[kernelPortKey]bool
	// links are the links between fabrics, by (from, to) fabric index
	// (nil: none); see link.
	links map[[2]int]*fabricLink
	// transits are the paths loaded in transit gateways' namespaces, by
	// name.
	transits map[string]*kernelFabric
	// view is the configuration programmed last (targetHealthChanged
	// programs it again); closed: the maps are gone.
	view   *view
	closed bool
	// pcapLost counts the kernel's copies missing from the pcapng files
	// (see kernel_pcap_linux.go).
	pcapLost atomic.Uint64
	// attachTook sums the time attach took (Service.StartSteps).
	attachTook time.Duration
	// sources are the source ports startKernel found, by fabric index,
	// until attachSources attaches them.
	sources map[int][]sourcePort
}

type kernelFabric struct {
	// run runs code in the namespace (a fabric's, or a transit
	// gateway's), which name names.
	run  func(func() error) error
	name string
	path *kpath.Path
	// nl is a netlink socket opened in the namespace: the ports' tc
	// filters are added and removed through it (tcAttach).
	nl *netlink.Handle
	// attached are the port ifindexes with the programs attached (see
	// tcAttach), true where the clsact qdisc is ours.
	attached map[int]bool
	// pending are the receivers' ports given a clsact qdisc ahead of
	// their filters (receiverQdiscs), true where it is ours.
	pending map[int]bool
	// forwarding are the link ends with the forward program attached.
	forwarding map[int]bool
	// conns are the ENIs whose flow table lives in the path's map
	// (Model.SetFlowTable), by NetworkInterfaceId: the index of their
	// table.
	conns map[string]int
	// copies is the stream of the copies the path wraps (Config.PcapDir),
	// read until copiesDone is closed; nil without PcapDir.
	copies     *kpath.CopyStream
	copiesDone chan struct{}
}

// kernelSlot is one session in one direction, with its running counters.
type kernelSlot struct {
	fabric    int
	eniID     string
	sessionID string
	dir       cloudmock.Direction
	pipe      *pipeline
	target    *targetAddr
	last      kpath.Counters
}

type kernelPortKey struct {
	fabric  int
	ifindex int
	dir     cloudmock.Direction
}

// ErrKernelUnsupported: the running kernel lacks what the in-kernel path
// needs (see kernelUnsupported). The service then decides every packet in
// user space, and its snapshot's KernelStats.Why carries the error; any
// other failure of the in-kernel path fails Start.
var ErrKernelUnsupported = errors.New("the kernel lacks what the in-kernel mirror path needs")

// kernelUnsupported reports whether err says the kernel lacks support,
// rather than a fault of ours or of the environment. cilium/ebpf returns
// an error wrapping ebpf.ErrNotSupported "whenever the kernel doesn't
// support a feature" (a program or map type, a map flag, a helper, a
// kfunc, BTF, TCX links: its feature probes, which it runs when a load or
// an attach fails, count only nil and ErrNotSupported as conclusive).
// ENOSYS is a kernel built without the bpf system call. EPERM is not
// among them: as root it means a policy (seccomp, lockdown, an LSM) or a
// memlock limit forbids BPF, which Config.UserSpaceOnly works around;
// nor is a verifier rejection (*ebpf.VerifierError), which is our bug.
func kernelUnsupported(err error) bool {
	return errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.ENOSYS)
}

// startKernelPath starts the in-kernel path unless the configuration or
// the kernel rules it out; the service then decides every packet in user
// space and says why in its snapshot. Any other failure is returned.
func (s *Service) startKernelPath(refs []cloudmock.ENIRef) error {
	switch {
	case s.cfg.UserSpaceOnly:
		s.kernWhy = "turned off: every packet is decided in user space (Config.UserSpaceOnly)"
	case s.cfg.RoutedSend:
		s.kernWhy = "every copy is routed (Config.RoutedSend)"
	}
	if s.kernWhy != "" {
		return nil
	}
	k, err := s.startKernel(refs)
	switch {
	case err == nil:
		s.kern = k
		return nil
	case kernelUnsupported(err):
		s.kernErr = fmt.Errorf("%w: %w", ErrKernelUnsupported, err)
		s.kernWhy = s.kernErr.Error()
		s.cfg.Logger.Warn("in-kernel path unavailable: every packet is decided in user space", "error", s.kernErr)
		return nil
	}
	return fmt.Errorf("in-kernel path (Config.UserSpaceOnly turns it off): %w", err)
}

// startKernel loads the programs into every fabric holding one of the
// captured ENIs refs (before the rings open: they take the socket
// filters), and notes those ENIs' ports for attachSources (with no port
// programmed yet the programs let every packet pass to the rings).
func (s *Service) startKernel(refs []cloudmock.ENIRef) (*kernelPath, error) {
	k := &kernelPath{svc: s, slots: map[uint32]*kernelSlot{}, ports: map[kernelPortKey]bool{},
		decided: map[string][2]string{}, txOff: map[kernelPortKey]bool{}, links: map[[2]int]*fabricLink{},
		transits: map[string]*kernelFabric{}}
	fabrics := s.cfg.Lab.Fabrics()
	k.fabrics = make([]*kernelFabric, len(fabrics))
	ports := map[int][]sourcePort{} // by fabric index
	for _, ref := range refs {
		if e, err := s.simENI(s.cfg.Model, ref); err == nil && s.fabricIndex(e) >= 0 {
			ports[s.fabricIndex(e)] = append(ports[s.fabricIndex(e)], sourcePort{s.cfg.Model.ENIID(ref), e})
		}
	}
	for i, f := range fabrics {
		if ports[i] == nil {
			continue // the kernel clones within a fabric: no source, no use
		}
		err := k.loadFabric(i)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("fabric %s: %w", f.NsName, err), k.close())
		}
	}
	k.sources = ports
	return k, nil
}

// loadFabric loads the programs into fabric i, once.
func (k *kernelPath) loadFabric(i int) error {
	if k.fabrics[i] != nil {
		return nil
	}
	f := k.svc.cfg.Lab.Fabrics()[i]
	kf, err := k.newPath(f.Run, f.NsName)
	k.fabrics[i] = kf
	return err
}

// newPath loads the programs for the namespace that run runs code in.
func (k *kernelPath) newPath(run func(func() error) error, name string) (*kernelFabric, error) {
	s := k.svc
	load := s.cfg.loadKernel
	switch {
	case load != nil:
	case s.cfg.Preload != nil:
		load = s.cfg.Preload.load
	default:
		load = kpath.Load
	}
	p, err := load()
	if err != nil {
		return nil, err
	}
	var h *netlink.Handle
	if err := run(func() (err error) { h, err = netlink.NewHandle(unix.NETLINK_ROUTE); return err }); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: netlink socket: %w", name, err), p.Close())
	}
	kf := &kernelFabric{run: run, name: name, path: p, nl: h, attached: map[int]bool{}, pending: map[int]bool{}, conns: map[string]int{},
		forwarding: map[int]bool{}}
	// Every receiver's port completes checksums (receiverChecksums).
	stream := s.cfg.PcapDir != ""
	if err := p.SetConfig(kpath.Config{CopyMark: s.cfg.Mark, RejectStops: s.cfg.Model.RejectBehavior() == cloudmock.RejectStops,
		ReceiversCompleteChecksums: true, StreamCopies: stream}); err != nil || !stream {
		return kf, err
	}
	return kf, k.streamCopies(kf)
}

// fabricIndex returns the index of the fabric holding ENI e.
func (s *Service) fabricIndex(e *sim.ENI) int {
	for i, f := range s.cfg.Lab.Fabrics() {
		if f.VPC == e.VPC {
			return i
		}
	}
	return -1
}

// socketFilter returns the capture filter of a (two-direction) ring in
// fabric i.
func (k *kernelPath) socketFilter(i int) int {
	return k.fabrics[i].path.SocketFilterBoth().FD()
}

// apply programs the kernel with v's plan: new slots for its sessions,
// the ports' rule lists replaced atomically (a packet sees the old list or
// the new one), ports the plan no longer decides removed, and the slots of
// the plan before the last one freed. Called before v is published, with
// Service.mu held (or before the service starts).
func (k *kernelPath) apply(v *view) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.applyLocked(v)
}

// targetHealthChanged programs the configuration in force again: a load
// balancer's choice of receiver, which the routes hold, depends on the
// health of its targets, which changes without an Apply.
func (k *kernelPath) targetHealthChanged() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.view == nil || k.closed {
		return
	}
	if err := k.applyLocked(k.view); err != nil {
		k.svc.cfg.Logger.Warn("in-kernel path: program the new target health", "error", err)
	}
}

func (k *kernelPath) applyLocked(v *view) error {
	var refs []cloudmock.ENIRef
	for _, p := range k.svc.pipelines() {
		if p.dir == cloudmock.Ingress {
			if ref, ok := v.model.ENI(p.eniID); ok {
				refs = append(refs, ref)
			}
		}
	}
	return k.applyPlanLocked(v, kpath.PlanModel(v.model, refs))
}

// applyPlanLocked is applyLocked with the plan of v's model for the
// captured ENIs computed already (Start computes it while the rings
// open).
func (k *kernelPath) applyPlanLocked(v *view, plan kpath.Plan) error {
	k.view = v
	m := v.model
	k.flushLocked(k.svc.Model()) // the model in force: v is not yet
	for _, s := range k.previous {
		k.freeSlot(s)
	}
	k.previous, k.current = k.current, nil
	var errs []error
	ports := map[kernelPortKey]bool{}
	decided := map[string][2]string{}
	for i := range plan.ENIs {
		pe := &plan.ENIs[i]
		e, err := k.svc.simENI(m, pe.Ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var whys [2]string
		for _, dir := range []cloudmock.Direction{cloudmock.Ingress, cloudmock.Egress} {
			key, why, err := k.setPort(v, &plan, pe, e, dir)
			if err != nil {
				errs = append(errs, fmt.Errorf("network interface %s %s: %w", pe.ENIId, dir, err))
				why = err.Error()
			}
			if whys[dir] = why; why == "" {
				ports[key] = true
			}
		}
		decided[pe.ENIId] = whys
	}
	for key := range k.ports {
		if !ports[key] {
			if err := k.fabrics[key.fabric].path.DeletePort(key.ifindex, uint32(key.dir)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	k.ports, k.decided = ports, decided
	return errors.Join(errs...)
}

// setPort programs the port of ENI e (pe in the plan) for direction dir,
// with a slot per session; why is not empty when the kernel does not
// decide the direction (the plan's reason, or the lab's: no in-kernel
// path in the ENI's fabric, a receiver without a port there since the
// kernel clones only within a namespace, a flow table not shared).
func (k *kernelPath) setPort(v *view, plan *kpath.Plan, pe *kpath.PlanENI, e *sim.ENI, dir cloudmock.Direction) (kernelPortKey, string, error) {
	fi := k.svc.fabricIndex(e)
	key := kernelPortKey{fi, e.PeerIndex, dir}
	pd := &pe.Dirs[dir]
	switch {
	case pd.Why != "":
		return key, pd.Why, nil
	case fi < 0 || k.fabrics[fi] == nil:
		return key, "no in-kernel path in its fabric", nil
	}
	port := pd.Port
	port.MAC = [6]byte(e.MAC)
	if sg := port.SecurityGroups; sg != nil {
		table, ok := k.fabrics[fi].conns[pe.ENIId]
		if !ok {
			return key, "its security groups' flow table is not shared with the kernel", nil
		}
		sg.ConnTable = table
	}
	slots := make([]uint32, len(pd.Sessions))
	for g, si := range pd.Sessions {
		slot, why, err := k.setSession(v, fi, pe.ENIId, &plan.Sessions[si], dir)
		if why != "" || err != nil {
			return key, why, err
		}
		slots[g] = slot
	}
	port.Rules = slices.Clone(port.Rules)
	for i := range port.Rules {
		if port.Rules[i].Accept {
			port.Rules[i].Slot = slots[port.Rules[i].Group]
		}
	}
	if err := k.attach(fi, e.PeerIndex, portOf(pe.ENIId, e)); err != nil {
		return key, "", err
	}
	return key, "", k.fabrics[fi].path.SetPort(e.PeerIndex, uint32(dir), port)
}

// newSlot allocates a slot that counts copies of session sessionID from
// ENI eniID in direction dir sent to receiver t (nil: none, the slot
// counts only lost copies).
func (k *kernelPath) newSlot(fi int, eniID, sessionID string, dir cloudmock.Direction, t *targetAddr) (uint32, error) {
	slot, ok := uint32(0), false
	for i := uint32(0); i < kpath.MaxSlots; i++ {
		s := (k.next + i) % kpath.MaxSlots
		if k.slots[s] == nil {
			slot, ok = s, true
			break
		}
	}
	if !ok {
		return 0, errors.New("in-kernel path: no free session slot")
	}
	k.next = slot + 1
	var pipe *pipeline
	for _, p := range k.svc.pipelines() {
		if p.dir == dir && p.eniID == eniID {
			pipe = p
		}
	}
	k.slots[slot] = &kernelSlot{fabric: fi, eniID: eniID, sessionID: sessionID, dir: dir, pipe: pipe, target: t}
	k.current = append(k.current, slot)
	return slot, nil
}

func (k *kernelPath) freeSlot(slot uint32) {
	ks := k.slots[slot]
	if ks == nil {
		return
	}
	if err := k.fabrics[ks.fabric].path.DeleteSession(slot); err != nil {
		k.svc.cfg.Logger.Warn("in-kernel path: free session slot", "slot", slot, "error", err)
	}
	delete(k.slots, slot)
}

// portOf names the fabric-side port of ENI e, the network interface id
// of the model (when known), for attach's errors.
func portOf(id string, e *sim.ENI) string {
	if id == "" {
		return fmt.Sprintf("the port %s of %s", e.PeerName, e.Name)
	}
	return fmt.Sprintf("network interface %s (%s, port %s)", id, e.Name, e.PeerName)
}

// sourcePort is a source ENI of the kernel path, with the model's id.
type sourcePort struct {
	id string
	e  *sim.ENI
}

// receiverChecksums switches transmit checksum offload off on a
// receiver's port (see txChecksum), once.
func (k *kernelPath) receiverChecksums(fi, ifindex int) error {
	key := kernelPortKey{fabric: fi, ifindex: ifindex}
	if _, done := k.txOff[key]; done {
		return nil
	}
	kf := k.fabrics[fi]
	var was bool
	err := kf.run(func() (err error) {
		name, err := ifName(ifindex)
		if err != nil {
			return err
		}
		was, err = txChecksum(name, true, false)
		return err
	})
	if err != nil {
		return fmt.Errorf("fabric %s: receiver port %d: %w", kf.name, ifindex, err)
	}
	k.txOff[key] = was
	return nil
}

// close detaches every program and closes the maps (after moving the
// tables of allowed flows back into the model), and gives the receivers'
// ports their checksum offload back.
func (k *kernelPath) close() error {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.unshareConnTables(k.svc.Model())
	var errs []error
	for key, was := range k.txOff {
		if !was {
			continue
		}
		kf := k.fabrics[key.fabric]
		errs = append(errs, kf.run(func() error {
			name, err := ifName(key.ifindex)
			if err == nil {
				_, err = txChecksum(name, true, true)
			}
			return err
		}))
	}
	for _, kf := range k.fabrics {
		if kf != nil {
			errs = append(errs, kf.detach(), kf.endCopies(), kf.path.Close())
		}
	}
	for _, kf := range k.transits {
		kf.nl.Close()
		errs = append(errs, kf.endCopies(), kf.path.Close())
	}
	return errors.Join(errs...)
}

// ifName returns the name of interface ifindex in the calling thread's
// network namespace. It asks for that one link: net.InterfaceByIndex
// dumps them all, which, once per receiver, grew with the lab's size.
func ifName(ifindex int) (string, error) {
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return "", fmt.Errorf("interface %d: %w", ifindex, err)
	}
	return l.Attrs().Name, nil
}
