package dataplane

import (
	"bytes"
	"context"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// peeringLab is a central inspection VPC: app (10.1.0.0/24: web .5, client
// .6) is peered with insp (10.9.0.0/24: tgt .20), or both are attached to
// a transit gateway (viaTGW), and iso (10.3.0.0/24: lone .20) is joined to
// neither. Closed when the test ends.
func peeringLab(t *testing.T, viaTGW bool) *sim.Lab {
	return realizeTopology(t, peeringTopology(viaTGW))
}

// peeringTopology is peeringLab's network.
func peeringTopology(viaTGW bool) sim.Topology {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	vpc := func(name, cidr, sub string) sim.VPCSpec {
		return sim.VPCSpec{Name: name, CIDR: p(cidr), Subnets: []sim.SubnetSpec{{Name: name + "-s", CIDR: p(sub)}}}
	}
	inst := func(name, vpc, ip string) sim.InstanceSpec {
		return sim.InstanceSpec{Name: name, VPC: vpc, ENIs: []sim.ENISpec{{Name: "eth0", Subnet: vpc + "-s", IP: a(ip)}}}
	}
	topo := sim.Topology{
		VPCs: []sim.VPCSpec{vpc("app", "10.1.0.0/24", "10.1.0.0/28"), vpc("insp", "10.9.0.0/24", "10.9.0.16/28"),
			vpc("iso", "10.3.0.0/24", "10.3.0.16/28")},
		Instances: []sim.InstanceSpec{inst("web", "app", "10.1.0.5"), inst("client", "app", "10.1.0.6"),
			inst("tgt", "insp", "10.9.0.20"), inst("lone", "iso", "10.3.0.20")},
		Peerings: []sim.PeeringSpec{{Name: "pcx-1", VPCs: [2]string{"app", "insp"}}},
	}
	if viaTGW {
		topo.Peerings = nil
		topo.TransitGateways = []sim.TransitGatewaySpec{{Name: "tgw-1", VPCs: []string{"app", "insp"}}}
	}
	return topo
}

// realizeTopology builds topo, closed when the test ends.
func realizeTopology(t *testing.T, topo sim.Topology) *sim.Lab {
	t.Helper()
	privtest.Require(t)
	lab, err := sim.Realize(context.Background(), topo, sim.Options{})
	if err != nil {
		t.Fatalf("realize: %v", err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return lab
}

// peeringSpec: web's ingress UDP to port 9000 goes to tgt in the peered
// inspection VPC (VNI 91), to port 9001 to lone in a VPC with no peering
// (VNI 92). tgt's subnet ACL and security group open UDP 4789 from app.
func peeringSpec(viaTGW bool) cloudmock.Spec {
	s := cloudmock.Spec{
		Vpcs: []cloudmock.Vpc{{VpcId: "vpc-app", CidrBlock: "10.1.0.0/24"}, {VpcId: "vpc-insp", CidrBlock: "10.9.0.0/24"},
			{VpcId: "vpc-iso", CidrBlock: "10.3.0.0/24"}},
		VpcPeeringConnections: []cloudmock.VpcPeeringConnection{{VpcPeeringConnectionId: "pcx-1",
			RequesterVpcInfo: cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-app"},
			AccepterVpcInfo:  cloudmock.VpcPeeringConnectionVpcInfo{VpcId: "vpc-insp"}}},
		Subnets: []cloudmock.Subnet{{SubnetId: "subnet-app", VpcId: "vpc-app", CidrBlock: "10.1.0.0/28"},
			{SubnetId: "subnet-insp", VpcId: "vpc-insp", CidrBlock: "10.9.0.16/28"},
			{SubnetId: "subnet-iso", VpcId: "vpc-iso", CidrBlock: "10.3.0.16/28"}},
		NetworkAcls: []cloudmock.NetworkAcl{{NetworkAclId: "acl-insp", VpcId: "vpc-insp",
			Associations: []cloudmock.NetworkAclAssociation{{SubnetId: "subnet-insp"}},
			Entries: []cloudmock.NetworkAclEntry{{RuleNumber: 100, Protocol: "udp", RuleAction: "allow", CidrBlock: "10.1.0.0/24",
				PortRange: &cloudmock.PortRange{From: 4789, To: 4789}}}}},
		SecurityGroups: []cloudmock.SecurityGroup{{GroupId: "sg-tgt", VpcId: "vpc-insp",
			IpPermissions: []cloudmock.IpPermission{{IpProtocol: "udp", FromPort: 4789, ToPort: 4789,
				IpRanges: []cloudmock.IpRange{{CidrIp: "10.1.0.0/24"}}}}}},
		NetworkInterfaces: []cloudmock.NetworkInterface{
			{NetworkInterfaceId: "eni-web", SubnetId: "subnet-app", PrivateIpAddress: "10.1.0.5"},
			{NetworkInterfaceId: "eni-client", SubnetId: "subnet-app", PrivateIpAddress: "10.1.0.6"},
			{NetworkInterfaceId: "eni-tgt", SubnetId: "subnet-insp", PrivateIpAddress: "10.9.0.20", Groups: []string{"sg-tgt"}},
			{NetworkInterfaceId: "eni-lone", SubnetId: "subnet-iso", PrivateIpAddress: "10.3.0.20"},
		},
	}
	if viaTGW {
		s.VpcPeeringConnections = nil
		s.TransitGateways = []cloudmock.TransitGateway{{TransitGatewayId: "tgw-1"}}
		s.TransitGatewayVpcAttachments = []cloudmock.TransitGatewayVpcAttachment{
			{TransitGatewayAttachmentId: "tgw-attach-app", TransitGatewayId: "tgw-1", VpcId: "vpc-app"},
			{TransitGatewayAttachmentId: "tgw-attach-insp", TransitGatewayId: "tgw-1", VpcId: "vpc-insp"}}
	}
	addSession(&s, "tms-insp", "web", "tgt", 1, 91, cloudmock.TrafficMirrorFilter{IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)}})
	addSession(&s, "tms-lone", "web", "lone", 2, 92, cloudmock.TrafficMirrorFilter{IngressFilterRules: rules{rule(100, "accept", 17, 9001, 9001)}})
	return s
}

// TestPrivilegedPeeringDelivers: copies to a target in a peered VPC (or one
// on a common transit gateway) reach it, on the direct path (written onto
// its bridge port in the inspection VPC's fabric) as the model's frame
// byte for byte, and on the routed path across the peering link as the
// same frame routed once more by the peer's router (TTL 254; through the
// transit gateway, by its namespace too: 253), with the kernel's IPv4 id;
// copies to a VPC joined to neither are counted as no_route and never
// leave. tshark reads the outer and inner headers.
func TestPrivilegedPeeringDelivers(t *testing.T) {
	t.Run("peering", func(t *testing.T) { testCrossVPC(t, false) })
	t.Run("transit gateway", func(t *testing.T) { testCrossVPC(t, true) })
}

func testCrossVPC(t *testing.T, viaTGW bool) {
	lab := peeringLab(t, viaTGW)
	spec := peeringSpec(viaTGW)
	hops := byte(1) // routers after the source's fabric: the peer's
	if viaTGW {
		hops = 2 // the transit gateway's, then the inspection VPC's
	}
	for _, port := range []int{9000, 9001} {
		listenUDP(t, lab, "web", port).drain()
	}
	client, web := lab.Instance("client").ENI("eth0"), lab.Instance("web").ENI("eth0")
	var toInsp, toLone [][]byte
	for i, size := range []int{64, 1400, 8961} {
		toInsp = append(toInsp, udpFrame(client, web, 40000+i, 9000, size))
		toLone = append(toLone, udpFrame(client, web, 41000+i, 9001, size))
	}
	wireTgt, wireLone := captureWire(t, lab, "tgt"), captureWire(t, lab, "lone")
	sinkTgt, sinkLone := newSink(t, lab, "tgt"), newSink(t, lab, "lone")
	copies := map[bool][][]byte{}
	for _, routed := range []bool{true, false} {
		before := len(wireTgt.vxlan())
		sinkTgt.reset()
		svc, m := startService(t, lab, spec, func(c *Config) { c.RoutedSend = routed })
		inject(t, lab, "client", append(append([][]byte(nil), toInsp...), toLone...)...)
		got := settle(len(toInsp), sinkTgt, sinkLone)
		snap := svc.Snapshot()
		if len(got) != len(toInsp) || len(sinkLone.snapshot()) != 0 {
			t.Fatalf("routed=%v: %d copies arrived (lone: %d), want %d at tgt:%s\n%s", routed, len(got), len(sinkLone.snapshot()), len(toInsp), describe(got), dumpSnapshot(svc))
		}
		for _, a := range got {
			if a.vni != 91 || a.from.Addr() != web.IP {
				t.Errorf("routed=%v: copy from %s VNI %d, want from %s VNI 91", routed, a.from, a.vni, web.IP)
			}
		}
		if n := snap.ENIs["eni-web"].Ingress.Dropped[DropNoRoute.String()]; n != uint64(len(toLone)) {
			t.Errorf("routed=%v: dropped no_route %d, want %d\n%s", routed, n, len(toLone), dumpSnapshot(svc))
		}
		if n := m.Snapshot().Sessions["tms-lone"].Delivery[cloudmock.NoRouteToTarget.String()]; n != uint64(len(toLone)) {
			t.Errorf("routed=%v: model counted %d no-route-to-target, want %d", routed, n, len(toLone))
		}
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
		copies[routed] = wireTgt.vxlan()[before:]
	}
	if n := len(wireLone.vxlan()); n != 0 {
		t.Errorf("%d VXLAN datagrams reached lone, in a VPC with no peering", n)
	}
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	tgt := lab.Instance("tgt").ENI("eth0")
	hdr := cloudmock.FrameHeader{DstMAC: [6]byte(tgt.MAC), SrcMAC: [6]byte(lab.Fabric("insp").Bridge(tgt.Subnet).MAC)}
	ref, _ := m.ENI("eni-web")
	var d cloudmock.Decision
	if len(copies[true]) != len(toInsp) || len(copies[false]) != len(toInsp) {
		t.Fatalf("wire copies at tgt: routed %d, direct %d, want %d each", len(copies[true]), len(copies[false]), len(toInsp))
	}
	for i, f := range toInsp {
		m.DecideInto(&d, ref, cloudmock.Ingress, f)
		want := d.AppendFrame(nil, hdr, f)
		direct, routed := copies[false][i], copies[true][i]
		if !bytes.Equal(direct, want) {
			t.Errorf("copy %d: the direct copy is not the model's frame\n got %x\nwant %x", i, head(direct), head(want))
			continue
		}
		if len(routed) != len(direct) || routed[22] != direct[22]-hops {
			t.Errorf("copy %d: routed copy %d bytes TTL %d, want %d bytes TTL %d (%d more routers)", i, len(routed), routed[22], len(direct), direct[22]-hops, hops)
			continue
		}
		norm := append([]byte(nil), routed...)
		copy(norm[18:20], direct[18:20]) // the kernel's id
		norm[22] = direct[22]            // the routers' hops
		copy(norm[24:26], direct[24:26]) // and the header checksum they change
		if !bytes.Equal(norm, direct) {
			t.Errorf("copy %d: the routed copy differs beyond id, TTL and checksum\nrouted %x\ndirect %x", i, head(routed), head(direct))
		}
		if naiveSum(routed[14:34]) != 0xffff {
			t.Errorf("copy %d: routed outer header checksum invalid", i)
		}
	}
	tsharkPeering(t, copies[false], web.IP, tgt.IP, client.IP)
}

// tsharkPeering has tshark read the direct copies: outer from the source
// ENI to the target across VPCs, UDP 4789, VNI 91, the inner datagram
// from client to web on port 9000.
func tsharkPeering(t *testing.T, frames [][]byte, src, dst, client netip.Addr) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed: its check is skipped (the byte comparisons ran)")
		return
	}
	w := &wireCapture{}
	for _, f := range frames {
		w.frames, w.stamps = append(w.frames, f), append(w.stamps, time.Now())
	}
	path := filepath.Join(t.TempDir(), "peering.pcapng")
	w.writePcap(t, path)
	out, err := exec.Command(bin, "-r", path, "-Y", "vxlan", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport", "-e", "vxlan.vni").Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(frames) {
		t.Fatalf("tshark dissected %d VXLAN packets, want %d:\n%s", len(lines), len(frames), out)
	}
	// outer, then inner: the copy of client -> web:9000 seen at web
	want := strings.Join([]string{src.String() + "," + client.String(), dst.String() + "," + src.String(), "4789,9000", "91"}, "\t")
	for i, l := range lines {
		if l != want {
			t.Errorf("tshark copy %d: %q, want %q", i, l, want)
		}
	}
}
