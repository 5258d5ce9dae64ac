package dataplane

import (
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The Gateway Load Balancer of these tests: its address (also its
// endpoint's), its endpoint id and that id's 64-bit TLV value.
const (
	gwlbAddr       = "10.0.0.26"
	gwlbEndpoint   = "vpce-0a1b2c3d4e5f60718"
	gwlbEndpoint64 = 0xa1b2c3d4e5f60718
)

// gwlbSpec: web's ingress UDP to 9000 mirrored (VNI 77) to a Gateway Load
// Balancer endpoint whose appliances are agent1 and agent2.
func gwlbSpec() cloudmock.Spec {
	spec := baseSpec()
	spec.LoadBalancers = []cloudmock.LoadBalancer{{LoadBalancerArn: "arn:gwlb", Type: "gateway", VpcEndpointId: gwlbEndpoint,
		SubnetId: "subnet-adapter", PrivateIpAddress: gwlbAddr,
		Targets: []cloudmock.TargetDescription{{NetworkInterfaceId: "eni-agent1"}, {NetworkInterfaceId: "eni-agent2"}}}}
	spec.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-nlb", GatewayLoadBalancerEndpointId: gwlbEndpoint}}
	addSession(&spec, "tms-gwlb", "web", "nlb", 1, 77, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	return spec
}

// decodeGeneveArrival decodes a GENEVE payload (a GWLB's: header and
// options, then the IPv4/UDP/VXLAN datagram the endpoint received) by
// hand, then the VXLAN datagram as decodeArrival does.
func decodeGeneveArrival(b []byte) arrival {
	if len(b) < 8 || len(b) < 8+int(b[0]&0x3f)*4 {
		return arrival{raw: append([]byte(nil), b...)}
	}
	hl := 8 + int(b[0]&0x3f)*4
	ip := b[hl:]
	if len(ip) < 28 || ip[0]>>4 != 4 {
		return arrival{geneve: append([]byte(nil), b[:hl]...)}
	}
	ihl := int(ip[0]&0x0f) * 4
	a := decodeArrival(ip[ihl+8:])
	a.geneve = append([]byte(nil), b[:hl]...)
	a.vxFrom = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(ip[ihl:]))
	return a
}

// geneveTLVs reads a GWLB's three options: endpoint id, attachment id,
// flow cookie; ok is false unless the header is exactly AWS's layout.
func geneveTLVs(h []byte) (endpoint, attachment uint64, cookie uint32, ok bool) {
	want := [][]byte{{0x01, 0x08, 1, 2}, {0x01, 0x08, 2, 2}, {0x01, 0x08, 3, 1}}
	if len(h) != 40 || h[0] != 8 || h[1] != 0 || binary.BigEndian.Uint16(h[2:]) != 0x0800 || [4]byte(h[4:8]) != [4]byte{} ||
		string(h[8:12]) != string(want[0]) || string(h[20:24]) != string(want[1]) || string(h[32:36]) != string(want[2]) {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint64(h[12:]), binary.BigEndian.Uint64(h[24:]), binary.BigEndian.Uint32(h[36:]), true
}

// TestPrivilegedGWLB: copies reach the two appliances in GENEVE from the
// GWLB with AWS's TLVs around the VXLAN datagram; flows spread and stick;
// a flow's cookie is one; a large packet is cut to 8446 bytes; tshark's
// GENEVE and VXLAN dissectors read the wire; once appliance 2 fails its
// health check it gets no new flow.
func TestPrivilegedGWLB(t *testing.T) {
	lab := testLab(t)
	wire := captureWire(t, lab, "agent1")
	s1, s2 := newSinkPort(t, lab, "agent1", 6081), newSinkPort(t, lab, "agent2", 6081)
	listenTCP(t, lab, "agent1", 8081)
	h2 := listenTCP(t, lab, "agent2", 8081)
	svc, _ := startService(t, lab, gwlbSpec(), func(c *Config) {
		c.HealthCheck = HealthCheck{Port: 8081, Interval: 150 * time.Millisecond, Timeout: 150 * time.Millisecond,
			HealthyThreshold: 2, UnhealthyThreshold: 3}
	})
	listenUDP(t, lab, "web", 9000).drain()

	const flows, per = 24, 3
	sendFlows(t, lab, 46000, flows, per)
	got := settle(flows*per, s1, s2)
	if len(got) != flows*per {
		t.Fatalf("appliances received %d copies, want %d: %s", len(got), flows*per, dumpSnapshot(svc))
	}
	spread := map[string]int{}
	for port, at := range flowAgents(got) {
		if len(at) != 1 {
			t.Errorf("flow from client port %d went to several appliances: %v", port, at)
		}
		for a := range at {
			spread[a]++
		}
	}
	if spread["agent1"] == 0 || spread["agent2"] == 0 {
		t.Fatalf("flows not spread over both appliances: %v", spread)
	}
	cookies := map[uint16]uint32{}
	for _, a := range got {
		ep, _, cookie, ok := geneveTLVs(a.geneve)
		switch {
		case !ok:
			t.Fatalf("GENEVE header %x is not a GWLB's (opt len 8, IPv4, VNI 0, class 0x0108 types 1, 2, 3)", a.geneve)
		case ep != gwlbEndpoint64:
			t.Errorf("endpoint id %#x, want %#x", ep, uint64(gwlbEndpoint64))
		case a.from.Addr() != netip.MustParseAddr(gwlbAddr) || a.from.Port() < 49152:
			t.Errorf("GENEVE from %s, want the GWLB %s from an ephemeral port", a.from, gwlbAddr)
		case a.vxFrom.Addr() != netip.MustParseAddr("10.0.0.5") || a.vni != 77 || a.innerSrc != netip.MustParseAddr("10.0.0.6"):
			t.Errorf("VXLAN inside from %s VNI %d inner source %s, want from 10.0.0.5, VNI 77, inner 10.0.0.6", a.vxFrom, a.vni, a.innerSrc)
		}
		if c, seen := cookies[a.sport]; seen && c != cookie {
			t.Errorf("flow %d carries cookies %#x and %#x", a.sport, c, cookie)
		}
		cookies[a.sport] = cookie
	}
	t.Logf("flows per appliance: %v", spread)

	// A 8900-byte packet: the copy keeps 8446 bytes of it (8500 - 54),
	// the GENEVE datagram on the wire is 8446 + 50 + 68 = 8564 bytes.
	s1.reset()
	s2.reset()
	big := listenUDP(t, lab, "client", 46100)
	big.send(t, ap("10.0.0.5:9000"), make([]byte, 8900-28), 1)
	one := settle(1, s1, s2)
	if len(one) != 1 || len(one[0].inner) != 8446+14 {
		t.Fatalf("the 8900-byte packet's copy: %s, want one with an 8460-byte inner frame", describe(one))
	}
	checkTsharkGeneve(t, wire, one[0].at == "agent1")

	// Appliance 2 fails its health check: new flows all go to appliance 1.
	h2.ln.Close()
	deadline := time.Now().Add(3 * time.Second)
	for !agentHealthy(svc, "eni-agent2", false) {
		if time.Now().After(deadline) {
			t.Fatalf("appliance 2 still healthy 3s after its health endpoint closed: %+v", svc.Snapshot().Health)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s1.reset()
	s2.reset()
	sendFlows(t, lab, 47000, flows, 2)
	got = settle(flows*2, s1, s2)
	if len(got) != flows*2 {
		t.Fatalf("after appliance 2 failed: %d copies arrived, want %d:%s", len(got), flows*2, describe(got))
	}
	for _, a := range got {
		if a.at != "agent1" {
			t.Fatalf("a new flow (client port %d) went to %s after its health check failed", a.sport, a.at)
		}
	}
}

// checkTsharkGeneve dissects appliance 1's wire with tshark's GENEVE and
// VXLAN dissectors: every GENEVE packet from the GWLB carries the three
// AWS options and a VXLAN datagram from web with VNI 77; big says whether
// the 8900-byte packet's copy went there (a GENEVE datagram of 8564 bytes).
func checkTsharkGeneve(t *testing.T, wire *wireCapture, big bool) {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("MIRRORLAB_REQUIRE_PRIVILEGED") == "1" {
			t.Fatal("tshark is not installed (make deps installs it): the GENEVE dissector check cannot run")
		}
		t.Log("tshark not installed: the GENEVE dissector check is skipped (the other checks ran)")
		return
	}
	path := filepath.Join(t.TempDir(), "gwlb.pcapng")
	wire.writePcap(t, path)
	out, err := exec.Command(bin, "-r", path, "-Y", "geneve", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "ip.src", "-e", "ip.len", "-e", "udp.dstport", "-e", "geneve.proto_type", "-e", "geneve.vni",
		"-e", "geneve.option.class", "-e", "geneve.option.type", "-e", "geneve.option.length", "-e", "vxlan.vni").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	n, sawBig := 0, false
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 9 {
			t.Fatalf("tshark line %q", l)
		}
		n++
		if !strings.HasPrefix(f[0], gwlbAddr+",10.0.0.5,10.0.0.6") || !strings.HasPrefix(f[2], "6081,4789,9000") ||
			f[3] != "0x0800" || f[4] != "0x000000" || f[5] != "0x0108,0x0108,0x0108" || f[6] != "0x01,0x02,0x03" ||
			f[7] != "32,12,12,8" || f[8] != "77" {
			t.Errorf("tshark fields %q: want GENEVE from %s (IPv4, VNI 0, 32 bytes of options: class 0x0108 types 1, 2, 3 of 12, 12, 8 bytes) around VXLAN from 10.0.0.5 (VNI 77) of 10.0.0.6 -> :9000", f, gwlbAddr)
		}
		sawBig = sawBig || strings.HasPrefix(f[1], "8564,8496,8446")
	}
	if n == 0 {
		t.Fatal("tshark dissected no GENEVE packet on appliance 1's wire")
	}
	if big != sawBig {
		t.Errorf("tshark saw the 8564-byte GENEVE datagram (8446-byte inner packet): %v, want %v:\n%s", sawBig, big, out)
	}
	t.Logf("tshark dissected %d GENEVE packets at appliance 1", n)
}

// TestGeneveArrivalDecode: the test's own GENEVE decoder reads the model's
// bytes (so a privileged failure is the wire's, not the decoder's).
func TestGeneveArrivalDecode(t *testing.T) {
	m, err := cloudmock.New(gwlbSpec())
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := m.ENI("eni-web")
	f, err := cloudmock.BuildFrame(cloudmock.Packet{Proto: 17, Src: netip.MustParseAddr("10.0.0.6"), Dst: netip.MustParseAddr("10.0.0.5"),
		SrcPort: 1234, DstPort: 9000, PayloadLen: 10})
	if err != nil {
		t.Fatal(err)
	}
	d := m.Decide(ref, cloudmock.Ingress, f)
	dl := m.Deliver(&d)
	w := d.AppendWire(nil, cloudmock.FrameHeader{}, &dl, f)
	p := gopacket.NewPacket(w, layers.LayerTypeEthernet, gopacket.Default)
	udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if udp == nil || udp.DstPort != 6081 {
		t.Fatalf("not GENEVE: %v", p)
	}
	a := decodeGeneveArrival(udp.Payload)
	ep, _, _, ok := geneveTLVs(a.geneve)
	if !ok || ep != gwlbEndpoint64 || a.vni != 77 || a.sport != 1234 || a.vxFrom.Addr() != netip.MustParseAddr("10.0.0.5") {
		t.Fatalf("decoded %+v (TLVs ok %v, endpoint %#x)", a, ok, ep)
	}
}
