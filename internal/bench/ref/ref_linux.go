package ref

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/bench/gen"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// Kind names a reference path.
type Kind string

// The kernel references.
const (
	Veth     Kind = "kernel-veth"
	VXLAN    Kind = "kernel-vxlan"
	TCMirred Kind = "kernel-tc-mirred"
)

// Kinds lists the references in the order the bench runs them.
var Kinds = []Kind{Veth, VXLAN, TCMirred}

// MTU of the reference links: the AWS default, so 8947-byte packets pass.
const MTU = 9001

// SinkPort is the UDP port the generator sends to.
const SinkPort = 9

var (
	genAddr  = netip.MustParsePrefix("10.0.0.1/24")
	sinkAddr = netip.MustParsePrefix("10.0.0.2/24")
	// Inner addresses on the VXLAN devices of the vxlan reference.
	genInner  = netip.MustParsePrefix("10.9.0.1/24")
	sinkInner = netip.MustParsePrefix("10.9.0.2/24")
	// Mirror leg of the tc reference: production → target.
	prodMirror = netip.MustParsePrefix("10.0.1.1/24")
	tgtAddr    = netip.MustParsePrefix("10.0.1.2/24")
)

// Setup is one built reference: its namespaces and how to make a path of a
// given packet size through it.
type Setup struct {
	Kind Kind
	nss  *sim.Namespaces
	gen  *sim.Namespace
	// txIf is the generator's sending interface; flow its addresses.
	txIf  string
	flow  gen.Flow
	count []countSpec
	socks []int
}

type countSpec struct {
	name string
	ns   *sim.Namespace
	ifn  string
}

// Build creates the namespaces and devices of kind, recording them in a
// state file under stateDir (internal/sim/state's default when empty) so a killed run
// is swept by `mirrorlab clean`. Close removes them.
func Build(ctx context.Context, kind Kind, stateDir string) (_ *Setup, err error) {
	nss, err := sim.NewNamespaces(stateDir, roles(kind)...)
	if err != nil {
		return nil, err
	}
	s := &Setup{Kind: kind, nss: nss}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	g, err := nss.Add("gen")
	if err != nil {
		return nil, err
	}
	sink, err := nss.Add("sink")
	if err != nil {
		return nil, err
	}
	s.gen = g
	if err := s.buildVeth(g, sink); err != nil {
		return nil, err
	}
	switch kind {
	case Veth:
	case VXLAN:
		if err := s.buildVXLAN(g, sink); err != nil {
			return nil, err
		}
	case TCMirred:
		if err := s.buildTCMirred(ctx, sink); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown reference %q", kind)
	}
	return s, nil
}

// buildVeth joins the generator g and the sink with a veth pair, the path
// of the veth reference and the underlay of the others.
func (s *Setup) buildVeth(g, sink *sim.Namespace) error {
	gMAC, sMAC, err := staticVeth(g, "g0", genAddr, sink, "s0", sinkAddr)
	if err != nil {
		return err
	}
	s.flow = gen.Flow{SrcMAC: gMAC, DstMAC: sMAC, Src: genAddr.Addr(), Dst: sinkAddr.Addr(), SrcPort: 40000, DstPort: SinkPort}
	s.txIf = "g0"
	s.count = []countSpec{{"delivered", sink, "s0"}}
	return s.hold(sink, SinkPort)
}

// staticVeth is veth (with MTU) plus static neighbours at both ends: no
// ARP during trials.
func staticVeth(a *sim.Namespace, aIf string, aAddr netip.Prefix, b *sim.Namespace, bIf string, bAddr netip.Prefix) (aMAC, bMAC net.HardwareAddr, err error) {
	aMAC, bMAC, err = veth(a, aIf, aAddr, b, bIf, bAddr, MTU)
	if err != nil {
		return nil, nil, err
	}
	if err := neigh(a, aIf, bAddr.Addr(), bMAC); err != nil {
		return nil, nil, err
	}
	if err := neigh(b, bIf, aAddr.Addr(), aMAC); err != nil {
		return nil, nil, err
	}
	return aMAC, bMAC, nil
}

// buildVXLAN adds a VXLAN device at each end of the veth pair; the
// generator sends into it.
func (s *Setup) buildVXLAN(g, sink *sim.Namespace) error {
	gv, err := vxlan(g, "vx0", 7, "g0", genAddr.Addr(), sinkAddr.Addr(), genInner)
	if err != nil {
		return err
	}
	sv, err := vxlan(sink, "vx0", 7, "s0", sinkAddr.Addr(), genAddr.Addr(), sinkInner)
	if err != nil {
		return err
	}
	s.flow = gen.Flow{SrcMAC: gv, DstMAC: sv, Src: genInner.Addr(), Dst: sinkInner.Addr(), SrcPort: 40000, DstPort: SinkPort}
	s.txIf = "vx0"
	s.count = []countSpec{{"delivered", sink, "vx0"}}
	return nil
}

// buildTCMirred adds a target namespace behind the sink and the kernel's
// own mirror (tc mirred into VXLAN) of what arrives at the sink.
func (s *Setup) buildTCMirred(ctx context.Context, sink *sim.Namespace) error {
	tgt, err := s.nss.Add("tgt")
	if err != nil {
		return err
	}
	if _, _, err := staticVeth(sink, "s1", prodMirror, tgt, "t0", tgtAddr); err != nil {
		return err
	}
	if _, err := vxlan(sink, "vxm", 7, "s1", prodMirror.Addr(), tgtAddr.Addr(), netip.Prefix{}); err != nil {
		return err
	}
	// The kernel's own mirror: every packet arriving on s0 is copied
	// into vxm (VXLAN to the target), like a mirror session at the
	// production ENI.
	for _, argv := range [][]string{
		{"tc", "qdisc", "add", "dev", "s0", "clsact"},
		{"tc", "filter", "add", "dev", "s0", "ingress", "protocol", "all", "prio", "1", "u32", "match", "u32", "0", "0",
			"action", "mirred", "egress", "mirror", "dev", "vxm"},
	} {
		if err := run(ctx, sink, argv...); err != nil {
			return err
		}
	}
	if err := s.hold(tgt, 4789); err != nil {
		return err
	}
	s.count = append(s.count, countSpec{"mirrored", tgt, "t0"})
	return nil
}

// hold binds a UDP socket on port in ns that is never read, with the
// smallest receive buffer: datagrams are dropped at the socket (no ICMP port
// unreachable goes back) at almost no cost.
func (s *Setup) hold(ns *sim.Namespace, port int) error {
	return ns.Run(func() error {
		fd, err := Hold(port)
		if err != nil {
			return fmt.Errorf("hold udp port %d in %s: %w", port, ns.Name, err)
		}
		s.socks = append(s.socks, fd)
		return nil
	})
}

// Hold binds 0.0.0.0:port (UDP) in the calling thread's namespace with the
// smallest receive buffer, and returns the socket; close it with unix.Close.
func Hold(port int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 0)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Path returns a generator path through the reference for IP packets of
// size bytes, with trials of the given duration. Close the path's sender.
func (s *Setup) Path(size int, trial, settle time.Duration) (*gen.Path, error) {
	f := s.flow
	f.IPLen = size
	frames, err := gen.Frames(f, 16)
	if err != nil {
		return nil, err
	}
	idx, err := index(s.gen, s.txIf)
	if err != nil {
		return nil, err
	}
	snd, err := gen.OpenSenderIn(s.gen.Run, idx, frames)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Kind, err)
	}
	p := &gen.Path{Name: string(s.Kind) + "/" + strconv.Itoa(size), Sender: snd, Trial: trial, Settle: settle}
	for _, c := range s.count {
		p.Counters = append(p.Counters, gen.Counter{Name: c.name, Expect: 1, Read: rxReader(c.ns, c.ifn)})
	}
	return p, nil
}

func rxReader(ns *sim.Namespace, ifn string) func() (uint64, error) {
	return func() (uint64, error) {
		c, err := gen.ReadLink(ns.Handle(), ifn)
		return c.RxPackets, err
	}
}

// Close removes the namespaces and closes the sockets.
func (s *Setup) Close() error {
	var errs []error
	for _, fd := range s.socks {
		if err := unix.Close(fd); err != nil {
			errs = append(errs, fmt.Errorf("close held socket: %w", err))
		}
	}
	s.socks = nil
	errs = append(errs, s.nss.Close())
	return errors.Join(errs...)
}

// Flow is the generator's flow through the reference (packet size unset).
func (s *Setup) Flow() gen.Flow { return s.flow }

func roles(kind Kind) []string {
	if kind == TCMirred {
		return []string{"gen", "sink", "tgt"}
	}
	return []string{"gen", "sink"}
}
