package dataplane

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"

	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// arrival is one datagram received by a sink, decoded independently of the
// service (gopacket's VXLAN, Ethernet, IPv4, UDP layers).
type arrival struct {
	from     netip.AddrPort // outer source
	at       string         // receiving instance
	raw      []byte         // UDP payload: VXLAN header + inner frame
	vni      uint32
	inner    []byte // inner frame
	innerSrc netip.Addr
	innerDst netip.Addr
	sport    uint16 // inner transport ports (UDP/TCP)
	dport    uint16
	proto    layers.IPProtocol
	payload  []byte // inner transport payload
	// Behind a Gateway Load Balancer: the GENEVE header with its options,
	// and the source of the VXLAN datagram it carries.
	geneve []byte
	vxFrom netip.AddrPort
}

// sink is an independent receiver at a target: a plain UDP socket on
// <ENI IP>:4789 inside the target's namespace.
type sink struct {
	name string
	conn *net.UDPConn
	mu   sync.Mutex
	got  []arrival
	kick chan struct{}
}

func newSink(t testing.TB, lab *sim.Lab, inst string) *sink {
	t.Helper()
	return newSinkPort(t, lab, inst, 4789)
}

// newSinkPort is a sink on port: 4789 receives VXLAN, 6081 GENEVE (see
// decodeGeneveArrival).
func newSinkPort(t testing.TB, lab *sim.Lab, inst string, port int) *sink {
	t.Helper()
	in := lab.Instance(inst)
	s := &sink{name: inst, kick: make(chan struct{}, 1)}
	err := in.Run(func() (err error) {
		s.conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: in.ENI("eth0").IP.AsSlice(), Port: port})
		return err
	})
	if err == nil {
		err = setRcvBufForce(s.conn, 8<<20)
	}
	if err != nil {
		t.Fatalf("sink on %s: %v", inst, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := s.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			a := decodeArrival(buf[:n])
			if port == 6081 {
				a = decodeGeneveArrival(buf[:n])
			}
			a.from, a.at = netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), inst
			s.mu.Lock()
			s.got = append(s.got, a)
			s.mu.Unlock()
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { s.conn.Close(); <-done })
	return s
}

// setRcvBufForce enlarges a socket's receive buffer beyond rmem_max (root),
// so a sink never drops a burst.
func setRcvBufForce(c *net.UDPConn, n int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
	}); err != nil {
		return err
	}
	return serr
}

func decodeArrival(b []byte) arrival {
	a := arrival{raw: append([]byte(nil), b...)}
	p := gopacket.NewPacket(a.raw, layers.LayerTypeVXLAN, gopacket.Default)
	if v, ok := p.Layer(layers.LayerTypeVXLAN).(*layers.VXLAN); ok {
		a.vni = v.VNI
		a.inner = v.Payload
	}
	if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		a.innerSrc, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		a.innerDst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		a.proto = ip.Protocol
	}
	if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		a.sport, a.dport = uint16(u.SrcPort), uint16(u.DstPort)
	}
	if tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		a.sport, a.dport = uint16(tc.SrcPort), uint16(tc.DstPort)
	}
	if app := p.ApplicationLayer(); app != nil {
		a.payload = app.Payload()
	}
	return a
}

// reset forgets what arrived so far.
func (s *sink) reset() {
	s.mu.Lock()
	s.got = nil
	s.mu.Unlock()
}

func (s *sink) snapshot() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.got...)
}

// settle waits until the sinks have together received want datagrams (or
// 3 s passed), then a quiet period so that extra ones show, and returns
// everything they received.
func settle(want int, sinks ...*sink) []arrival {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		for _, s := range sinks {
			n += len(s.snapshot())
		}
		if n >= want {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	var all []arrival
	for _, s := range sinks {
		all = append(all, s.snapshot()...)
	}
	return all
}

// udpPeer is a UDP socket inside an instance.
type udpPeer struct {
	conn *net.UDPConn
}

func listenUDP(t testing.TB, lab *sim.Lab, inst string, port int) *udpPeer {
	t.Helper()
	in := lab.Instance(inst)
	p := &udpPeer{}
	err := in.Run(func() (err error) {
		p.conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: in.ENI("eth0").IP.AsSlice(), Port: port})
		return err
	})
	if err != nil {
		t.Fatalf("udp socket on %s:%d: %v", inst, port, err)
	}
	t.Cleanup(func() { p.conn.Close() })
	return p
}

func (p *udpPeer) send(t *testing.T, to netip.AddrPort, payload []byte, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := p.conn.WriteToUDPAddrPort(payload, to); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
}

// echo answers every datagram it receives, until the test ends.
func (p *udpPeer) echo() {
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := p.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			p.conn.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
}

// drain reads and discards, so the instance never answers with ICMP.
func (p *udpPeer) drain() {
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := p.conn.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func describe(as []arrival) string {
	s := ""
	for _, a := range as {
		s += fmt.Sprintf("\n  at %s from %s vni %d inner %s:%d -> %s:%d (%d bytes)", a.at, a.from, a.vni,
			a.innerSrc, a.sport, a.innerDst, a.dport, len(a.inner))
	}
	return s
}

// inject sends raw Ethernet frames out of an instance's eth0 (AF_PACKET),
// as the instance's stack would.
func inject(t *testing.T, lab *sim.Lab, inst string, frames ...[]byte) {
	t.Helper()
	in := lab.Instance(inst)
	err := in.Run(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Ifindex: in.ENI("eth0").Index, Halen: 6}
		for _, f := range frames {
			if err := unix.Sendto(fd, f, 0, sa); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("inject frames at %s: %v", inst, err)
	}
}

// wireCapture is an independent AF_PACKET capture (gopacket/afpacket,
// TPACKET_V3) on an instance's eth0: what arrived on the target's wire.
type wireCapture struct {
	mu     sync.Mutex
	frames [][]byte
	stamps []time.Time
}

func captureWire(t *testing.T, lab *sim.Lab, inst string) *wireCapture {
	t.Helper()
	in := lab.Instance(inst)
	var tp *afpacket.TPacket
	err := in.Run(func() (err error) {
		tp, err = afpacket.NewTPacket(afpacket.OptInterface("eth0"), afpacket.OptPollTimeout(20*time.Millisecond),
			afpacket.OptBlockTimeout(time.Millisecond), afpacket.OptNumBlocks(8))
		return err
	})
	if err != nil {
		t.Fatalf("wire capture on %s: %v", inst, err)
	}
	w := &wireCapture{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, ci, err := tp.ReadPacketData()
			if err != nil {
				continue
			}
			w.mu.Lock()
			w.frames = append(w.frames, data)
			w.stamps = append(w.stamps, ci.Timestamp)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(stop); <-done; tp.Close() })
	return w
}

// vxlan returns the captured frames that are UDP to port 4789.
func (w *wireCapture) vxlan() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for _, f := range w.frames {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.NoCopy)
		if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && u.DstPort == 4789 {
			out = append(out, f)
		}
	}
	return out
}

// writePcap writes the captured frames to a pcapng file.
func (w *wireCapture) writePcap(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ng, err := pcapgo.NewNgWriter(f, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, fr := range w.frames {
		ci := gopacket.CaptureInfo{Timestamp: w.stamps[i], CaptureLength: len(fr), Length: len(fr)}
		if err := ng.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := ng.Flush(); err != nil {
		t.Fatal(err)
	}
}

// tcpListener listens on inst's address:port until the test ends (or
// close is called), accepting and closing connections: a health-check
// endpoint.
type tcpListener struct{ ln net.Listener }

func listenTCP(t *testing.T, lab *sim.Lab, inst string, port int) *tcpListener {
	t.Helper()
	in := lab.Instance(inst)
	l := &tcpListener{}
	err := in.Run(func() (err error) {
		l.ln, err = net.Listen("tcp4", netip.AddrPortFrom(in.ENI("eth0").IP, uint16(port)).String())
		return err
	})
	if err != nil {
		t.Fatalf("tcp listener on %s:%d: %v", inst, port, err)
	}
	go func() {
		for {
			c, err := l.ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.ln.Close() })
	return l
}

// dumpSnapshot renders the service's counters for a failure message.
func dumpSnapshot(svc *Service) string {
	b, _ := json.MarshalIndent(svc.Snapshot(), "", "  ")
	return string(b)
}
