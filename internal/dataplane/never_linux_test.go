package dataplane

import (
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// acceptAllButICMP mirrors every packet but ICMP in both directions (the
// ICMP errors the router sends for the injected frames stay out).
func acceptAllButICMP() cloudmock.TrafficMirrorFilter {
	r := rules{rule(50, "reject", 1, 0, 0), rule(100, "accept", 0, 0, 0)}
	return cloudmock.TrafficMirrorFilter{IngressFilterRules: r, EgressFilterRules: r}
}

func frame(t *testing.T, p cloudmock.Packet) []byte {
	t.Helper()
	f, err := cloudmock.BuildFrame(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// neverFrames are frames web sends that no session mirrors (Amazon DNS
// only without the amazon-dns network service), and one control frame.
func neverFrames(t *testing.T, lab *sim.Lab) (never, dns [][]byte, control []byte) {
	web := lab.Instance("web").ENI("eth0")
	src, gw := [6]byte(web.MAC), [6]byte(lab.Fabric("vpc").Bridge("public").MAC)
	bcast := [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	a := netip.MustParseAddr
	never = [][]byte{
		frame(t, cloudmock.Packet{ARP: true, Src: web.IP, Dst: a("10.0.0.9"), SrcMAC: src, DstMAC: bcast}),
		frame(t, cloudmock.Packet{Proto: 17, Src: a("0.0.0.0"), Dst: a("255.255.255.255"), SrcPort: 68, DstPort: 67, PayloadLen: 240, SrcMAC: src, DstMAC: bcast}),
		frame(t, cloudmock.Packet{Proto: 6, Src: web.IP, Dst: a("169.254.169.254"), SrcPort: 33000, DstPort: 80, SrcMAC: src, DstMAC: gw}),
		frame(t, cloudmock.Packet{Proto: 17, Src: web.IP, Dst: a("169.254.169.123"), SrcPort: 33001, DstPort: 123, PayloadLen: 48, SrcMAC: src, DstMAC: gw}),
	}
	dns = [][]byte{
		frame(t, cloudmock.Packet{Proto: 17, Src: web.IP, Dst: a("10.0.0.2"), SrcPort: 33002, DstPort: 53, PayloadLen: 30, SrcMAC: src, DstMAC: gw}),
		frame(t, cloudmock.Packet{Proto: 17, Src: web.IP, Dst: a("169.254.169.253"), SrcPort: 33003, DstPort: 53, PayloadLen: 30, SrcMAC: src, DstMAC: gw}),
	}
	control = frame(t, cloudmock.Packet{Proto: 17, Src: web.IP, Dst: a("10.0.0.6"), SrcPort: 33004, DstPort: 7777, PayloadLen: 10, SrcMAC: src, DstMAC: gw})
	return never, dns, control
}

// TestPrivilegedNeverMirrored: ARP, DHCP, the metadata and time services
// are never mirrored, Amazon DNS only with the amazon-dns network service;
// a control packet in the same burst is.
func TestPrivilegedNeverMirrored(t *testing.T) {
	lab := testLab(t)
	listenUDP(t, lab, "client", 7777).drain()
	for _, tc := range []struct {
		name     string
		services []string
		want     map[string]int // inner dport -> copies
	}{
		{"without-amazon-dns", nil, map[string]int{"tgt1/8/7777": 1}},
		{"with-amazon-dns", []string{cloudmock.NetworkServiceAmazonDNS}, map[string]int{"tgt1/8/7777": 1, "tgt1/8/53": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := baseSpec()
			f := acceptAllButICMP()
			f.NetworkServices = tc.services
			addSession(&spec, "tms", "web", "tgt1", 1, 8, f)
			sk := newSink(t, lab, "tgt1")
			svc, _ := startService(t, lab, spec, nil)
			never, dns, control := neverFrames(t, lab)
			inject(t, lab, "web", append(append(append([][]byte{}, never...), dns...), control)...)
			want := 0
			for _, n := range tc.want {
				want += n
			}
			expectCounts(t, settle(want, sk), tc.want)
			nm := svc.Snapshot().Model.ENIs["eni-web"].NotMirrored
			for reason, n := range map[string]uint64{"never-mirrored-dhcp": 1, "never-mirrored-metadata": 1, "never-mirrored-time-service": 1} {
				if nm[reason] != n {
					t.Errorf("model: %s = %d, want %d (%v)", reason, nm[reason], n, nm)
				}
			}
			if nm["never-mirrored-arp"] == 0 {
				t.Errorf("model counted no ARP (%v)", nm)
			}
			if wantDNS := uint64(2 - tc.want["tgt1/8/53"]); nm["never-mirrored-amazon-dns"] != wantDNS {
				t.Errorf("model: never-mirrored-amazon-dns = %d, want %d", nm["never-mirrored-amazon-dns"], wantDNS)
			}
		})
	}
}

// TestPrivilegedNoMirrorOfMirror: agent1 is a registered target of the
// NLB that receives web's copies, and itself the source of a session that
// mirrors everything (but ICMP) to tgt1. The copies crossing agent1's ENI
// carry the service's mark and must not be mirrored again; agent1's own
// traffic is.
func TestPrivilegedNoMirrorOfMirror(t *testing.T) {
	lab := testLab(t)
	spec := nlbSpec(true)
	spec.LoadBalancers[0].Targets = spec.LoadBalancers[0].Targets[:1] // agent1 only
	addSession(&spec, "tms-agent1", "agent1", "tgt1", 1, 77, acceptAllButICMP())
	a1, t1 := newSink(t, lab, "agent1"), newSink(t, lab, "tgt1")
	startService(t, lab, spec, nil)
	listenUDP(t, lab, "web", 9000).drain()
	listenUDP(t, lab, "agent1", 7000).drain()

	sendFlows(t, lab, 44000, 5, 1) // 5 copies to agent1
	c := listenUDP(t, lab, "client", 44100)
	c.send(t, ap("10.0.0.22:7000"), []byte("to agent1"), 2) // agent1's own ingress
	settle(5, a1)
	if got := a1.snapshot(); len(got) != 5 {
		t.Fatalf("agent1 received %d copies, want 5:%s", len(got), describe(got))
	}
	got := settle(2, t1)
	for _, a := range got {
		if a.dport == 4789 {
			t.Errorf("a mirror datagram was mirrored again:%s", describe([]arrival{a}))
		}
	}
	expectCounts(t, got, map[string]int{"tgt1/77/7000": 2})
}
