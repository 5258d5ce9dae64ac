package dataplane

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// TestPrivilegedKernelRoutesMatchUserSpace sends the same flows through
// the service twice, deciding every packet in user space and then with
// the in-kernel path, for the targets whose copies the kernel routes by
// their outer source port: a Network Load Balancer and a Gateway Load
// Balancer endpoint (agent1 and agent2 behind each), and an ENI whose
// security group drops the copies. Both runs must put the same bytes on
// the receivers' wires and leave the same provider counters, and the
// kernel must have decided every copy.
func TestPrivilegedKernelRoutesMatchUserSpace(t *testing.T) {
	sgDrops := func() cloudmock.Spec {
		spec := baseSpec()
		spec.SecurityGroups = []cloudmock.SecurityGroup{{GroupId: "sg-tgt", VpcId: "vpc-1",
			IpPermissions: []cloudmock.IpPermission{{IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}}}
		for j := range spec.NetworkInterfaces {
			if spec.NetworkInterfaces[j].NetworkInterfaceId == "eni-agent1" {
				spec.NetworkInterfaces[j].Groups = []string{"sg-tgt"}
			}
		}
		spec.TrafficMirrorTargets = append(spec.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-agent1", NetworkInterfaceId: "eni-agent1"})
		addSession(&spec, "tms-web", "web", "agent1", 1, 77, cloudmock.TrafficMirrorFilter{
			IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
		})
		return spec
	}
	for _, tc := range []struct {
		name      string
		spec      cloudmock.Spec
		delivered bool
	}{
		{"nlb", nlbSpec(true), true},
		{"gwlb", gwlbSpec(), true},
		{"target-sg", sgDrops(), false},
	} {
		t.Run(tc.name, func(t *testing.T) { kernelRoutesMatch(t, tc.spec, tc.delivered) })
	}
}

func kernelRoutesMatch(t *testing.T, spec cloudmock.Spec, delivered bool) {
	lab := testLab(t)
	wires := map[string]*wireCapture{"agent1": captureWire(t, lab, "agent1"), "agent2": captureWire(t, lab, "agent2")}
	listenTCP(t, lab, "agent1", 8081)
	listenTCP(t, lab, "agent2", 8081)
	listenUDP(t, lab, "web", 9000).drain()
	const flows, per = 16, 2
	var clients []*udpPeer
	for i := range flows {
		clients = append(clients, listenUDP(t, lab, "client", 43000+i))
	}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		svc, m := startService(t, lab, spec, func(c *Config) {
			c.UserSpaceOnly = userSpace
			c.HealthCheck = HealthCheck{Port: 8081, Interval: 150 * time.Millisecond, Timeout: 150 * time.Millisecond,
				HealthyThreshold: 2, UnhealthyThreshold: 3}
		})
		privtest.SkipIfNotSupported(t, svc.kernErr)
		for _, c := range clients {
			c.send(t, netip.MustParseAddrPort("10.0.0.5:9000"), []byte("a mirrored datagram"), per)
		}
		results[i] = endRun(t, svc, m, wires, before, flows*per)
	}
	user, kern := results[0], results[1]
	allByKernel(t, user, kern, flows*per)
	if n, want := compareWires(t, user, kern), map[bool]int{true: flows * per, false: 0}[delivered]; n != want {
		t.Errorf("the receivers' wires carried %d copies per run, want %d", n, want)
	}
	compareCounters(t, user, kern)
}

// allByKernel fails the test unless the kernel decided web's ingress and
// mirrored all n copies of the second run, and none of the first.
func allByKernel(t *testing.T, user, kern pathRun, n uint64) {
	t.Helper()
	if k := kern.snap.Kernel; !k.Enabled || k.Decided["eni-web/ingress"] != "" {
		t.Fatalf("the in-kernel path is not deciding web's ingress: %+v", k)
	}
	if got := kern.snap.Totals.Kernel; got != n || user.snap.Totals.Kernel != 0 {
		t.Errorf("the kernel mirrored %d copies (user space only: %d), want %d\n%s", got, user.snap.Totals.Kernel, n, printed(kern.snap))
	}
}

// compareCounters fails the test where the two runs left different
// session counters, mirrored packets of web, or data plane totals.
func compareCounters(t *testing.T, user, kern pathRun) {
	t.Helper()
	if a, b := printed(user.model.Sessions), printed(kern.model.Sessions); a != b {
		t.Errorf("session counters differ:\nuser space %s\nkernel     %s", a, b)
	}
	if a, b := printed(user.model.ENIs["eni-web"].NetworkPacketsMirrorIn), printed(kern.model.ENIs["eni-web"].NetworkPacketsMirrorIn); a != b {
		t.Errorf("web's mirrored packets differ: user space %s, kernel %s", a, b)
	}
	u, k := user.snap.Totals, kern.snap.Totals
	if u.Mirrored != k.Mirrored || u.Sent != k.Sent || u.SentBytes != k.SentBytes || printed(u.Dropped) != printed(k.Dropped) {
		t.Errorf("data plane totals differ:\nuser space %+v\nkernel     %+v", u, k)
	}
}

// pathRun is what one run of the service left: the copies on each
// receiver's wire (sorted, the inner IPv4 id and checksum zeroed: see
// withoutTunnelledID), the service's snapshot and the model's.
type pathRun struct {
	wire  map[string][][]byte
	snap  Snapshot
	model cloudmock.Snapshot
}

// wiresBefore notes how many tunnelled frames each wire holds.
func wiresBefore(wires map[string]*wireCapture) map[string]int {
	before := map[string]int{}
	for name, w := range wires {
		before[name] = len(w.tunnels())
	}
	return before
}

// endRun waits (5 s at most) until svc sent or dropped want copies and
// 200 ms more, closes svc and returns what the run left (the frames after
// before).
func endRun(t *testing.T, svc *Service, m *cloudmock.Model, wires map[string]*wireCapture, before map[string]int, want uint64) pathRun {
	t.Helper()
	done := func() uint64 {
		tot := svc.Snapshot().Totals
		n := tot.Sent
		for _, d := range tot.Dropped {
			n += d
		}
		return n
	}
	for deadline := time.Now().Add(5 * time.Second); done() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	r := pathRun{snap: svc.Snapshot(), wire: map[string][][]byte{}}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	r.model = m.Snapshot()
	for name, w := range wires {
		got := slices.Clone(w.tunnels()[before[name]:])
		for j, f := range got {
			got[j] = withoutTunnelledID(f)
		}
		slices.SortFunc(got, bytes.Compare)
		r.wire[name] = got
	}
	return r
}

// compareWires fails the test where the two runs put different copies
// on a wire; it returns how many copies the first run put on them.
func compareWires(t *testing.T, user, kern pathRun) int {
	t.Helper()
	n := 0
	for name := range user.wire {
		u, k := user.wire[name], kern.wire[name]
		n += len(u)
		if len(u) != len(k) {
			t.Errorf("%s: %d copies from user space, %d from the kernel", name, len(u), len(k))
			continue
		}
		for j := range u {
			if !bytes.Equal(u[j], k[j]) {
				t.Errorf("%s copy %d differs:\n user %x\n kern %x", name, j, head(u[j]), head(k[j]))
			}
		}
	}
	return n
}

// tunnels returns the captured VXLAN and GENEVE frames.
func (w *wireCapture) tunnels() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for _, f := range w.frames {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.NoCopy)
		if u, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && (u.DstPort == 4789 || u.DstPort == 6081) {
			out = append(out, f)
		}
	}
	return out
}

// withoutTunnelledID is withoutInnerID for a VXLAN frame or one in
// GENEVE (the VXLAN datagram a Gateway Load Balancer forwards). A frame
// over IPv6 loses its UDP checksum too (see udp6Valid).
func withoutTunnelledID(f []byte) []byte {
	const ipUDP = 20 + 8
	if len(f) >= 14+40+8+8+14+20 && binary.BigEndian.Uint16(f[12:]) == 0x86dd {
		// Over IPv6: the UDP checksum (checked by udp6Valid) covers the
		// inner id, so it goes too.
		const udp, inner = 14 + 40, 14 + 40 + 8 + 8 + 14
		f = slices.Clone(f)
		for _, at := range []int{udp + 6, inner + 4, inner + 10} {
			f[at], f[at+1] = 0, 0
		}
		return f
	}
	if len(f) < 14+ipUDP+8 || binary.BigEndian.Uint16(f[14+22:]) != 6081 {
		return withoutInnerID(f)
	}
	geneve := 14 + ipUDP
	vx := geneve + 8 + int(f[geneve]&0x3f)*4 // the VXLAN datagram's IPv4 header
	if len(f) < vx {
		return f
	}
	// Shift the VXLAN datagram under an Ethernet header, as withoutInnerID wants it.
	g := withoutInnerID(append(make([]byte, 14), f[vx:]...))
	return append(slices.Clone(f[:vx]), g[14:]...)
}

// TestPrivilegedKernelCrossVPCMatchesUserSpace: copies to a target in a
// peered VPC leave the source's fabric by the peering's link and are
// handed to the target's port in the other fabric (kpath's forward
// program), the frame the user-space path writes there; copies to a VPC
// with no route are counted lost in the kernel. Same bytes and counters
// as in user space, every copy by the kernel.
func TestPrivilegedKernelCrossVPCMatchesUserSpace(t *testing.T) {
	t.Run("peering", func(t *testing.T) { kernelCrossVPCMatch(t, false) })
	// Through a transit gateway, whose namespace forwards the copies on.
	t.Run("transit gateway", func(t *testing.T) { kernelCrossVPCMatch(t, true) })
}

func kernelCrossVPCMatch(t *testing.T, viaTGW bool) {
	user, kern := crossVPCRuns(t, peeringLab(t, viaTGW), peeringSpec(viaTGW))
	compareCounters(t, user, kern)
}

// crossVPCRuns sends 12 flows from client to web in the peering lab, once
// in user space and once with the kernel path, and checks that every copy
// was the kernel's and that both runs put the same frames on tgt's wire
// (none on lone's): what the cross-VPC tests share. It returns both runs.
func crossVPCRuns(t *testing.T, lab *sim.Lab, spec cloudmock.Spec) (user, kern pathRun) {
	t.Helper()
	wires := map[string]*wireCapture{"tgt": captureWire(t, lab, "tgt"), "lone": captureWire(t, lab, "lone")}
	for _, port := range []int{9000, 9001} {
		listenUDP(t, lab, "web", port).drain()
	}
	const flows = 12
	var clients []*udpPeer
	for i := range flows {
		clients = append(clients, listenUDP(t, lab, "client", 44000+i))
	}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		privtest.SkipIfNotSupported(t, svc.kernErr)
		for j, c := range clients {
			c.send(t, netip.AddrPortFrom(netip.MustParseAddr("10.1.0.5"), uint16(9000+j%2)), bytes.Repeat([]byte("x"), 100*j), 1)
		}
		results[i] = endRun(t, svc, m, wires, before, flows)
	}
	user, kern = results[0], results[1]
	allByKernel(t, user, kern, flows)
	if n := compareWires(t, user, kern); n != flows/2 || len(user.wire["lone"]) != 0 {
		t.Errorf("the receivers' wires carried %d copies per run (lone: %d), want %d at tgt", n, len(user.wire["lone"]), flows/2)
	}
	return user, kern
}

// TestPrivilegedKernelOuterIPv6MatchesUserSpace: IPv4 frames of 64 to
// 8961 bytes mirrored over IPv6 (web and both targets with primary IPv6
// addresses): to tgt6 cut at its MTU 1500 less 74, to tgt4 whole (the
// kernel sums jumbo copies for their UDP checksum). The same bytes on
// both wires, the same counters, every copy by the kernel.
func TestPrivilegedKernelOuterIPv6MatchesUserSpace(t *testing.T) {
	lab, spec, wires := outerIPv6Lab(t)
	client, web := lab.Instance("client").ENI("eth0"), lab.Instance("web").ENI("eth0")
	var frames [][]byte
	for i, size := range []int{64, 65, 511, 1400, 1514, 4097, 8961} {
		frames = append(frames, udpFrame(client, web, 46000+i, 9000+i%2, size), udpFrame(client, web, 46100+i, 9001-i%2, size+1))
	}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		privtest.SkipIfNotSupported(t, svc.kernErr)
		inject(t, lab, "client", frames...)
		results[i] = endRun(t, svc, m, wires, before, uint64(len(frames)))
	}
	user, kern := results[0], results[1]
	allByKernel(t, user, kern, uint64(len(frames)))
	if n := compareWires(t, user, kern); n != len(frames) {
		t.Errorf("the receivers' wires carried %d copies per run, want %d", n, len(frames))
	}
	compareCounters(t, user, kern)
}

// udp6Valid reports whether a VXLAN frame over IPv6 carries a right UDP
// checksum.
func udp6Valid(f []byte) bool {
	const ip, udp = 14, 14 + 40
	seg := f[udp:]
	n := len(seg)
	pseudo := append(slices.Clone(f[ip+8:udp]), 0, 0, byte(n>>8), byte(n), 0, 0, 0, 17)
	return naiveSum(pseudo, seg) == 0xffff
}

// TestPrivilegedKernelOuterIPv6Partial: datagrams from a socket (their
// checksums left to the device: CHECKSUM_PARTIAL) mirrored over IPv6, the
// kernel summing each copy's UDP checksum with the inner checksum it
// will have once the receiver's port completes it (for a copy cut at
// tgt6's MTU, the whole datagram's: see kpath's carry_cut). The same
// copies as from user space, every outer checksum right, every copy by
// the kernel.
func TestPrivilegedKernelOuterIPv6Partial(t *testing.T) {
	lab, spec, wires := outerIPv6Lab(t)
	client := listenUDP(t, lab, "client", 47500)
	sends := []struct{ port, size int }{{9000, 20}, {9000, 101}, {9000, 1401}, {9000, 4000}, {9001, 20}, {9001, 1401}, {9001, 8000}}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		privtest.SkipIfNotSupported(t, svc.kernErr)
		for _, x := range sends {
			client.send(t, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.5"), uint16(x.port)), bytes.Repeat([]byte{byte(x.size)}, x.size), 1)
		}
		results[i] = endRun(t, svc, m, wires, before, uint64(len(sends)))
		for name, w := range wires {
			for _, f := range w.tunnels()[before[name]:] {
				if !udp6Valid(f) {
					t.Errorf("user space only %v: a copy at %s with a wrong UDP checksum: %x", userSpace, name, head(f))
				}
			}
		}
	}
	user, kern := results[0], results[1]
	allByKernel(t, user, kern, uint64(len(sends)))
	if n := compareWires(t, user, kern); n != len(sends) {
		t.Errorf("the receivers' wires carried %d copies per run, want %d", n, len(sends))
	}
	compareCounters(t, user, kern)
}

// outerIPv6Lab is the dual-stack lab where web mirrors IPv4 UDP to ports
// 9000 and 9001 to tgt6 and tgt4, both with primary IPv6 addresses (so
// over IPv6), with captures on both targets' wires.
func outerIPv6Lab(t *testing.T) (*sim.Lab, cloudmock.Spec, map[string]*wireCapture) {
	t.Helper()
	lab := dualStackLab(t)
	spec := dualStackSpec()
	for i := range spec.NetworkInterfaces {
		if spec.NetworkInterfaces[i].NetworkInterfaceId == "eni-tgt4" {
			spec.NetworkInterfaces[i].EnablePrimaryIpv6 = true
		}
	}
	for i := range spec.TrafficMirrorFilters {
		r := &spec.TrafficMirrorFilters[i].IngressFilterRules[0]
		r.SourceCidrBlock, r.DestinationCidrBlock = "0.0.0.0/0", "0.0.0.0/0"
	}
	wires := map[string]*wireCapture{"tgt6": captureWire(t, lab, "tgt6"), "tgt4": captureWire(t, lab, "tgt4")}
	for _, port := range []int{9000, 9001} {
		listenUDP(t, lab, "web", port).drain()
	}
	return lab, spec, wires
}
