package vpc

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
	"github.com/mirrorlab/mirrorlab/lab"
)

// Instance names of the bench VPC.
const (
	Client  = "client"
	Prod    = "prod"
	Adapter = "adapter"
	Test    = "test"
)

// SinkPort is the UDP port the generator sends to on production.
const SinkPort = 9

// VXLANPort is where mirrored copies arrive on the adapter.
const VXLANPort = 4789

// Topology is the walk-through's VPC: 10.0.0.0/24 cut into /28s (public:
// client and production; adapter; test), every ENI eth0 at MTU 9001, and
// the appliances of the load balancers that MirrorTarget can point the
// session at (an NLB and a GWLB endpoint in the adapter subnet).
func Topology() (sim.Topology, error) {
	eni := func(subnet string) []sim.ENISpec { return []sim.ENISpec{{Name: "eth0", Subnet: subnet}} }
	t := sim.Topology{
		VPCs: []sim.VPCSpec{{Name: "bench", CIDR: netip.MustParsePrefix("10.0.0.0/24"), Subnets: []sim.SubnetSpec{
			{Name: "public", CIDR: netip.MustParsePrefix("10.0.0.0/28")},
			{Name: "adapter", CIDR: netip.MustParsePrefix("10.0.0.16/28")},
			{Name: "test", CIDR: netip.MustParsePrefix("10.0.0.32/28")},
		}}},
		Instances: []sim.InstanceSpec{
			{Name: Client, VPC: "bench", ENIs: eni("public")},
			{Name: Prod, VPC: "bench", ENIs: eni("public")},
			{Name: Adapter, VPC: "bench", ENIs: eni("adapter")},
			{Name: Test, VPC: "bench", ENIs: eni("test")},
		},
	}
	lbs, err := appliances(t.VPCs[0])
	if err != nil {
		return sim.Topology{}, err
	}
	t.Instances = append(t.Instances, lbs...)
	return t, nil
}

// Env is the realised bench VPC.
type Env struct {
	// Lab is the lab's network (lab.Lab.Sim).
	Lab                         *sim.Lab
	Client, Prod, Adapter, Test *sim.Instance
	prodHold, adapterHold       int
	geneveHold                  int // UDP 6081 on the adapter (holdGeneve)
	lab                         *lab.Lab
	mirror                      mirror
}

// Build builds the bench's lab (package lab: state file under stateDir,
// the default when empty), with no mirror service yet (StartMirror), and
// holds UDP SinkPort on production so generated datagrams end at a socket
// without ICMP replies. Close removes everything.
func Build(ctx context.Context, stateDir string) (_ *Env, err error) {
	topo, err := Topology()
	if err != nil {
		return nil, err
	}
	l, err := lab.Build(ctx, lab.Config{Name: "bench", Topology: topo, StateDir: stateDir})
	if err != nil {
		return nil, fmt.Errorf("realize bench vpc: %w", err)
	}
	sl := l.Sim()
	e := &Env{Lab: sl, lab: l, Client: sl.Instance(Client), Prod: sl.Instance(Prod), Adapter: sl.Instance(Adapter),
		Test: sl.Instance(Test), prodHold: -1, adapterHold: -1, geneveHold: -1}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close())
		}
	}()
	if e.prodHold, err = hold(e.Prod, SinkPort); err != nil {
		return nil, err
	}
	return e, nil
}

// ENI returns the eth0 of an instance.
func ENI(in *sim.Instance) *sim.ENI { return in.ENI("eth0") }

func hold(in *sim.Instance, port int) (int, error) {
	fd := -1
	err := in.Run(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 0)
		return unix.Bind(fd, &unix.SockaddrInet4{Port: port})
	})
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("hold udp port %d in %s: %w", port, in.Name, err)
	}
	return fd, nil
}

// HoldMirrorPort binds UDP 4789 on the adapter (never read) so mirrored
// copies end at a socket; ReleaseMirrorPort frees it for an agent or a
// kernel vxlan0.
func (e *Env) HoldMirrorPort() error {
	if e.adapterHold >= 0 {
		return nil
	}
	fd, err := hold(e.Adapter, VXLANPort)
	if err != nil {
		return err
	}
	e.adapterHold = fd
	return nil
}

// ReleaseMirrorPort closes the socket of HoldMirrorPort.
func (e *Env) ReleaseMirrorPort() error {
	if e.adapterHold < 0 {
		return nil
	}
	err := unix.Close(e.adapterHold)
	e.adapterHold = -1
	if err != nil {
		return fmt.Errorf("release udp 4789 on the adapter: %w", err)
	}
	return nil
}

// Path is a generator path from the client to production's UDP SinkPort,
// IP packets of size bytes; it counts production's received packets
// ("delivered") and the adapter's ("mirrored": one copy per packet, of
// whatever target the session has). It holds UDP 4789 on the adapter (see
// HoldMirrorPort), and UDP 6081 where a GWLB's GENEVE copies arrive.
func (e *Env) Path(size int, trial, settle time.Duration) (*gen.Path, error) {
	if err := errors.Join(e.HoldMirrorPort(), e.holdGeneve()); err != nil {
		return nil, err
	}
	c, p := ENI(e.Client), ENI(e.Prod)
	frames, err := gen.Frames(gen.Flow{SrcMAC: c.MAC, DstMAC: p.MAC, Src: c.IP, Dst: p.IP, SrcPort: 40000, DstPort: SinkPort, IPLen: size}, 16)
	if err != nil {
		return nil, err
	}
	snd, err := gen.OpenSenderIn(e.Client.Run, c.Index, frames)
	if err != nil {
		return nil, fmt.Errorf("generator in %s: %w", e.Client.Name, err)
	}
	rx := func(in *sim.Instance) func() (uint64, error) {
		return func() (uint64, error) {
			lc, err := gen.ReadLink(in.NS(), "eth0")
			return lc.RxPackets, err
		}
	}
	return &gen.Path{Name: "ours/" + strconv.Itoa(size), Sender: snd, Trial: trial, Settle: settle, Counters: []gen.Counter{
		{Name: "delivered", Expect: 1, Read: rx(e.Prod)},
		{Name: "mirrored", Expect: 1, Read: rx(e.Adapter)},
	}}, nil
}

// Listen opens a TCP listener inside an instance.
func Listen(in *sim.Instance, addr string) (net.Listener, error) {
	var ln net.Listener
	err := in.Run(func() error {
		var err error
		ln, err = net.Listen("tcp4", addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on %s in %s: %w", addr, in.Name, err)
	}
	return ln, nil
}

// Dialer dials from inside an instance (each connection's socket is made
// there).
func Dialer(in *sim.Instance) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := in.Run(func() error {
			var err error
			c, err = (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// Close stops the mirror, releases the sockets and removes the lab.
func (e *Env) Close() error {
	var errs []error
	errs = append(errs, e.StopMirror(), e.ReleaseMirrorPort())
	for _, fd := range []*int{&e.prodHold, &e.geneveHold} {
		if *fd >= 0 {
			if err := unix.Close(*fd); err != nil {
				errs = append(errs, fmt.Errorf("close held socket: %w", err))
			}
			*fd = -1
		}
	}
	if e.lab != nil {
		if err := e.lab.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close bench vpc: %w", err))
		}
		e.lab, e.Lab = nil, nil
	}
	return errors.Join(errs...)
}

// MirrorVNI is the mirror session's VXLAN network identifier.
const MirrorVNI = 1
