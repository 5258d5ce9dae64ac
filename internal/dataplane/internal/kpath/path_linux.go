package kpath

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Path is the in-kernel mirror path of one fabric namespace: its programs
// and maps, and the TCX links of the ports it is attached to.
type Path struct {
	objs kpathObjects

	mu       sync.Mutex
	links    []link.Link
	attached map[int]bool // ifindexes with both hooks attached
	// forwarding: ifindexes with the forward program (AttachForward).
	forwarding map[int]bool
	connMem    []byte // the conns map, mapped (ConnTable)
	// written holds a hash of each port entry last written (SetPort
	// skips an entry the map holds already: a running service sets every
	// port at every change of its configuration, so an unchanged port
	// costs a hash instead of a map update, which copies 8 KiB and frees
	// the old element after an RCU grace period).
	written map[kpathPortKey]uint64
	seed    maphash.Seed
	scratch kpathPort // setPort's value (guarded by mu)
}

// Load loads the programs and maps (one Path per fabric namespace: the
// ports map is keyed by interface index). The configuration starts as
// DefaultCopyMark with rejects that stop.
func Load() (*Path, error) {
	p := &Path{attached: map[int]bool{}, forwarding: map[int]bool{}, written: map[kpathPortKey]uint64{}, seed: maphash.MakeSeed()}
	if err := loadKpathObjects(&p.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load kernel mirror path: %w (verifier log tail: %s)", err, verifierTail(ve))
		}
		return nil, fmt.Errorf("load kernel mirror path: %w", err)
	}
	if err := p.SetConfig(Config{CopyMark: DefaultCopyMark, RejectStops: true}); err != nil {
		p.objs.Close()
		return nil, err
	}
	return p, nil
}

func verifierTail(ve *ebpf.VerifierError) string {
	n := len(ve.Log)
	if n > 20 {
		return fmt.Sprint(ve.Log[n-20:])
	}
	return fmt.Sprint(ve.Log)
}

// Attach attaches the tc programs to both hooks of the port ifindex with
// TCX links (in the calling thread's network namespace: run it inside
// the fabric namespace). Attach every source ENI's port and every
// receiver's port. The links live until Close, or until the process
// exits.
func (p *Path) Attach(ifindex int) error {
	if ifindex <= 0 {
		return fmt.Errorf("attach kernel mirror path: ifindex %d: want a positive interface index", ifindex)
	}
	in, err := link.AttachTCX(link.TCXOptions{Interface: ifindex, Program: p.objs.KpathTcIngress, Attach: ebpf.AttachTCXIngress})
	if err != nil {
		return fmt.Errorf("attach kernel mirror path to ifindex %d ingress: %w", ifindex, err)
	}
	out, err := link.AttachTCX(link.TCXOptions{Interface: ifindex, Program: p.objs.KpathTcEgress, Attach: ebpf.AttachTCXEgress})
	if err != nil {
		in.Close()
		return fmt.Errorf("attach kernel mirror path to ifindex %d egress: %w", ifindex, err)
	}
	p.mu.Lock()
	p.links = append(p.links, in, out)
	p.attached[ifindex] = true
	p.mu.Unlock()
	return nil
}

// isAttached reports whether Attach(ifindex) succeeded.
func (p *Path) isAttached(ifindex int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attached[ifindex]
}

// Config is the settings shared by a Path's ports.
type Config struct {
	// CopyMark is the mark of the copies (the service's SO_MARK; packets
	// carrying it are never mirrored).
	CopyMark uint32
	// RejectStops is cloudmock.RejectStops; false: reject-falls-through.
	RejectStops bool
	// ReceiversCompleteChecksums: every receiver's port has transmit
	// checksum offload off, so the kernel completes a clone's partial
	// checksum (CHECKSUM_PARTIAL: what a veth carries from an instance's
	// stack) as it leaves the port. Such packets are then mirrored in the
	// kernel unless the copy is cut; without it they are left to user
	// space.
	ReceiversCompleteChecksums bool
	// StreamCopies: every copy the kernel wraps is also written, whole,
	// to the copies perf buffer (read it with StreamCopies).
	StreamCopies bool
}

// SetConfig sets the settings shared by the ports.
func (p *Path) SetConfig(cfg Config) error {
	if cfg.CopyMark>>24 == CloneTag {
		return fmt.Errorf("set kernel mirror path config: copy mark %#x: its top byte %#x is the clone tag", cfg.CopyMark, CloneTag)
	}
	c := kpathSettings{CopyMark: cfg.CopyMark}
	if cfg.RejectStops {
		c.Flags |= flagRejectStops
	}
	if cfg.ReceiversCompleteChecksums {
		c.Flags |= flagReceiversCompleteCsum
	}
	if cfg.StreamCopies {
		c.Flags |= flagStreamCopies
	}
	if err := p.objs.Config.Update(uint32(0), &c, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("set kernel mirror path config: %w", err)
	}
	return nil
}

// SetPort sets what the kernel decides for the packets that pass the port
// ifindex in direction dir (see Port). The entry is replaced atomically.
func (p *Path) SetPort(ifindex int, dir uint32, port Port) error {
	if err := p.setPort(ifindex, dir, port); err != nil {
		return fmt.Errorf("set kernel mirror port %d direction %d: %w", ifindex, dir, err)
	}
	return nil
}

func (p *Path) setPort(ifindex int, dir uint32, port Port) error {
	key, err := portKey(ifindex, dir)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// One value reused under mu: a port entry is 8 KiB, and a service
	// sets every port at each change of its configuration.
	v := &p.scratch
	*v = kpathPort{Mac: port.MAC}
	if port.IPv6 {
		v.Flags |= portIPv6
	}
	if r := port.Resolver; r.IsValid() {
		if !r.Is4() {
			return fmt.Errorf("resolver %v: not an IPv4 address", r)
		}
		v.Resolver = v4(r)
	}
	if err := compileRules(port.Rules, v); err != nil {
		return err
	}
	if sg := port.SecurityGroups; sg != nil {
		if sg.ConnTable < 0 || sg.ConnTable >= MaxConnTables {
			return fmt.Errorf("security groups: connection table %d out of range 0-%d", sg.ConnTable, MaxConnTables-1)
		}
		v.Flags |= portStateful
		v.ConnTable = uint32(sg.ConnTable)
		if err := compileAllow(sg.Allow, v); err != nil {
			return err
		}
	}
	if port.NetworkACL != nil {
		if err := compileACL(port.NetworkACL, v); err != nil {
			return err
		}
	}
	h := maphash.Bytes(p.seed, unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v)))
	if old, ok := p.written[key]; ok && old == h {
		return nil
	}
	delete(p.written, key) // unknown until the update succeeds
	if err := p.objs.Ports.Update(&key, v, ebpf.UpdateAny); err != nil {
		return err
	}
	p.written[key] = h
	return nil
}

// ConnTable returns connection table i (ConnSlots slots) of the path's
// map, mapped into memory: the kernel reads and writes it, and so may the
// caller (cloudmock.Model.SetFlowTable), each slot atomically. The
// memory is valid until Close.
func (p *Path) ConnTable(i int) ([]atomic.Uint64, error) {
	if i < 0 || i >= MaxConnTables {
		return nil, fmt.Errorf("kernel mirror connection table %d: out of range 0-%d", i, MaxConnTables-1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.connMem == nil {
		mem, err := unix.Mmap(p.objs.Conns.FD(), 0, MaxConnTables*ConnSlots*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return nil, fmt.Errorf("map kernel mirror connection tables: %w", err)
		}
		p.connMem = mem
	}
	all := unsafe.Slice((*atomic.Uint64)(unsafe.Pointer(&p.connMem[0])), MaxConnTables*ConnSlots)
	return all[i*ConnSlots : (i+1)*ConnSlots], nil
}

// DeletePort removes the port's entry for dir (its packets then pass
// untouched, and the socket filter keeps them all for user space).
func (p *Path) DeletePort(ifindex int, dir uint32) error {
	key, err := portKey(ifindex, dir)
	if err == nil {
		p.mu.Lock()
		delete(p.written, key)
		p.mu.Unlock()
		err = p.objs.Ports.Delete(&key)
	}
	if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("delete kernel mirror port %d direction %d: %w", ifindex, dir, err)
	}
	return nil
}

func portKey(ifindex int, dir uint32) (kpathPortKey, error) {
	if ifindex <= 0 || ifindex > 1<<31-1 {
		return kpathPortKey{}, fmt.Errorf("ifindex %d: want a positive interface index", ifindex)
	}
	return kpathPortKey{Ifindex: uint32(ifindex), Dir: dir}, checkDir(dir)
}

// SetSession sets (replaces atomically) the session in slot. Its
// receiver's port must be attached first: the clone is encapsulated by
// that port's program, and would otherwise reach the receiver bare.
func (p *Path) SetSession(slot uint32, s Session) error {
	if err := checkSlot(slot); err != nil {
		return fmt.Errorf("set kernel mirror session: %w", err)
	}
	k, err := compileSession(slot, s)
	if err != nil {
		return fmt.Errorf("set kernel mirror session slot %d: %w", slot, err)
	}
	for i := range k.Routes {
		if r := int(k.Routes[i].Ifindex); r != 0 && !p.isAttached(r) {
			return fmt.Errorf("set kernel mirror session slot %d: receiver ifindex %d is not attached (Attach it first: its program encapsulates the copies)", slot, r)
		}
	}
	if err := p.objs.Sessions.Update(slot, k, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("set kernel mirror session slot %d: %w", slot, err)
	}
	return nil
}

// DeleteSession empties slot: rules that accept into it then punt
// (PuntNoSession), and clones in flight are dropped and counted as
// GlobalErrors.
func (p *Path) DeleteSession(slot uint32) error {
	if err := checkSlot(slot); err != nil {
		return fmt.Errorf("delete kernel mirror session: %w", err)
	}
	if err := p.objs.Sessions.Delete(slot); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("delete kernel mirror session slot %d: %w", slot, err)
	}
	return nil
}

// Counters returns the slot's counters summed over the CPUs.
func (p *Path) Counters(slot uint32) (Counters, error) {
	if err := checkSlot(slot); err != nil {
		return Counters{}, fmt.Errorf("read kernel mirror counters: %w", err)
	}
	return p.counters(slot)
}

// GlobalErrors counts the clones dropped because their slot had no
// session when they reached the receiver's port.
func (p *Path) GlobalErrors() (uint64, error) {
	c, err := p.counters(MaxSlots)
	return c.Errors, err
}

func (p *Path) counters(slot uint32) (Counters, error) {
	var per []kpathStats
	if err := p.objs.Counters.Lookup(slot, &per); err != nil {
		return Counters{}, fmt.Errorf("read kernel mirror counters of slot %d: %w", slot, err)
	}
	var c Counters
	for _, s := range per {
		c.Packets += s.Packets
		c.Bytes += s.Bytes
		c.Truncated += s.Truncated
		c.Errors += s.Errors
		c.WireBytes += s.Wire
		for r, t := range s.Lost {
			c.Lost[r].Packets += t.Packets
			c.Lost[r].Bytes += t.Bytes
			c.Lost[r].Truncated += t.Truncated
		}
	}
	return c, nil
}

// Punts returns how many packets the tc programs left to user space, by
// reason, summed over the CPUs.
func (p *Path) Punts() ([NumPunts]uint64, error) {
	var out [NumPunts]uint64
	for r := range NumPunts {
		var per []uint64
		if err := p.objs.Punts.Lookup(uint32(r), &per); err != nil {
			return out, fmt.Errorf("read kernel mirror punts (%s): %w", r, err)
		}
		for _, n := range per {
			out[r] += n
		}
	}
	return out, nil
}

// SocketFilter returns the socket filter of the capture ring of direction
// dir (attach it with SO_ATTACH_BPF): it drops the copies (the copy mark),
// the other direction's packets (by packet type: PACKET_OUTGOING at the
// fabric end is instance ingress) and every packet the kernel mirrors,
// and keeps the rest whole. The Path owns it.
func (p *Path) SocketFilter(dir uint32) *ebpf.Program {
	if dir == Ingress {
		return p.objs.KpathSockIngress
	}
	return p.objs.KpathSockEgress
}

// SocketFilterBoth returns the socket filter of a ring that captures
// both directions of a port: each packet is taken as the direction its
// packet type says (PACKET_OUTGOING at the fabric end is instance
// ingress) and kept or dropped as SocketFilter of that direction would.
// The Path owns it.
func (p *Path) SocketFilterBoth() *ebpf.Program { return p.objs.KpathSockBoth }

// Close detaches every link and unloads the programs and maps.
func (p *Path) Close() error {
	p.mu.Lock()
	links, mem := p.links, p.connMem
	p.links, p.connMem = nil, nil
	p.mu.Unlock()
	var errs []error
	if mem != nil {
		if err := unix.Munmap(mem); err != nil {
			errs = append(errs, fmt.Errorf("unmap kernel mirror connection tables: %w", err))
		}
	}
	for _, l := range links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detach kernel mirror link: %w", err))
		}
	}
	if err := p.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close kernel mirror path: %w", err))
	}
	return errors.Join(errs...)
}
