package dataplane

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strconv"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/encap"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// TestPrivilegedKernelMirrorsIPv6 sends the same IPv6 frames through the
// service twice, once deciding every packet in user space and once with
// the in-kernel path, in the dual-stack lab: datagrams to web's port 9000
// are mirrored to tgt6 over IPv6 (cut at its MTU 1500 less 74), to port
// 9001 to tgt4 over IPv4 (cut at 1500 less 54); web's security group lets
// them in by an IPv6 peer and keeps ICMPv6 echo out, and neighbour
// discovery is never mirrored. The kernel must mirror every copy (counted
// by path), into the same bytes on both receivers' wires and the same
// provider counters as user space, and leave only the rest to it.
func TestPrivilegedKernelMirrorsIPv6(t *testing.T) {
	lab := dualStackLab(t)
	spec := dualStackSpec()
	spec.SecurityGroups = []cloudmock.SecurityGroup{{GroupId: "sg-web", VpcId: "vpc6",
		IpPermissions: []cloudmock.IpPermission{{IpProtocol: "udp", FromPort: 9000, ToPort: 9001, Ipv6Ranges: []cloudmock.Ipv6Range{{CidrIpv6: "2001:db8:0:100::/64"}}}}}}
	for i := range spec.NetworkInterfaces {
		if spec.NetworkInterfaces[i].NetworkInterfaceId == "eni-web" {
			spec.NetworkInterfaces[i].Groups = []string{"sg-web"}
		}
	}
	web6, client6 := netip.MustParseAddr("2001:db8:0:100::5"), netip.MustParseAddr("2001:db8:0:100::6")
	for _, port := range []uint16{9000, 9001} {
		listenUDPAt(t, lab, "web", netip.AddrPortFrom(web6, port))
	}
	listenUDPAt(t, lab, "tgt6", ap("[2001:db8:0:102::36]:4789"))
	listenUDPAt(t, lab, "tgt4", ap("10.0.0.20:4789"))
	webENI, clientENI := lab.Instance("web").ENI("eth0"), lab.Instance("client").ENI("eth0")
	// Frames built here, not by the client's stack, whose flow labels
	// would differ from run to run.
	pkt := func(proto uint8, port uint16, payload int, icmpType uint8) []byte {
		return frame(t, cloudmock.Packet{Proto: proto, Src: client6, Dst: web6, SrcPort: 45000, DstPort: port, PayloadLen: payload,
			ICMPType: icmpType, SrcMAC: [6]byte(clientENI.MAC), DstMAC: [6]byte(webENI.MAC)})
	}
	frames := [][]byte{
		pkt(encap.ProtoUDP, 9000, 100, 0), pkt(encap.ProtoUDP, 9000, 1452, 0), pkt(encap.ProtoUDP, 9000, 700, 0),
		pkt(encap.ProtoUDP, 9001, 100, 0), pkt(encap.ProtoUDP, 9001, 1452, 0),
		pkt(encap.ProtoICMPv6, 0, 56, 128), // echo: web's group does not let it in
		pkt(encap.ProtoICMPv6, 0, 24, 135), // neighbour solicitation: never mirrored
	}
	const want = 5
	wires := map[string]*wireCapture{"tgt6": captureWire(t, lab, "tgt6"), "tgt4": captureWire(t, lab, "tgt4")}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		if !userSpace {
			privtest.SkipIfNotSupported(t, svc.kernErr)
		}
		inject(t, lab, "client", frames...)
		results[i] = endRun(t, svc, m, wires, before, want)
	}
	user, kern := results[0], results[1]
	if k := kern.snap.Kernel; !k.Enabled || k.Decided["eni-web/ingress"] != "" {
		t.Fatalf("the in-kernel path is not deciding web's ingress: %+v", k)
	}
	if got := kern.snap.Totals.Kernel; got != want {
		t.Errorf("the kernel mirrored %d copies, want all %d IPv6 ones\n%s", got, want, printed(kern.snap))
	}
	if got := user.snap.Totals.Kernel; got != 0 {
		t.Errorf("UserSpaceOnly: the kernel mirrored %d copies", got)
	}
	for _, r := range []string{"never-mirrored", "security-group"} {
		if kern.snap.Kernel.Punted[r] == 0 {
			t.Errorf("no IPv6 packet punted as %s: %v", r, kern.snap.Kernel.Punted)
		}
	}
	if n := compareWires(t, user, kern); n != want {
		t.Errorf("%d copies on the targets' wires, want %d", n, want)
	}
	checkOuterFamilies(t, kern.wire["tgt6"], 0x86dd, 3, 1440)
	checkOuterFamilies(t, kern.wire["tgt4"], 0x0800, 2, 14+1500) // tgt4's MTU 9001: whole
	if a, b := printed(user.model.Sessions), printed(kern.model.Sessions); a != b {
		t.Errorf("session counters differ:\nuser space %s\nkernel     %s", a, b)
	}
	u, k := user.model.ENIs["eni-web"], kern.model.ENIs["eni-web"]
	// The echo and web's reply to it (its group lets nothing out) are
	// dropped by the group in both runs; neighbour discovery, the
	// injected solicitation and the stacks' own, is never mirrored.
	if a, b := u.NotMirrored["dropped-by-source-sg"], k.NotMirrored["dropped-by-source-sg"]; a != b || a < 1 {
		t.Errorf("eni-web: dropped-by-source-sg %d in user space, %d with the kernel", a, b)
	}
	if a, b := u.NotMirrored["never-mirrored-ndp"], k.NotMirrored["never-mirrored-ndp"]; a < 1 || b < 1 {
		t.Errorf("eni-web: never-mirrored-ndp %d in user space, %d with the kernel, want at least 1", a, b)
	}
	if u, k := user.snap.Totals, kern.snap.Totals; u.Mirrored != k.Mirrored || u.Sent != k.Sent || u.SentBytes != k.SentBytes {
		t.Errorf("data plane totals differ: user space mirrored %d sent %d (%d bytes), kernel %d %d (%d)",
			u.Mirrored, u.Sent, u.SentBytes, k.Mirrored, k.Sent, k.SentBytes)
	}
}

// checkOuterFamilies checks that a receiver's wire carried n copies with
// an outer header of etherType, the largest inner frame cut to maxInner.
func checkOuterFamilies(t *testing.T, frames [][]byte, etherType uint16, n, maxInner int) {
	t.Helper()
	outer := 14 + 20 + 8 + 8
	if etherType == 0x86dd {
		outer = 14 + 40 + 8 + 8
	}
	largest := 0
	for _, f := range frames {
		if got := binary.BigEndian.Uint16(f[12:]); got != etherType {
			t.Errorf("a copy's outer ethertype %#04x, want %#04x", got, etherType)
		}
		largest = max(largest, len(f)-outer)
	}
	if len(frames) != n || largest != maxInner {
		t.Errorf("%d copies, the largest inner frame %d bytes; want %d, %d", len(frames), largest, n, maxInner)
	}
}

// TestPrivilegedKernelCrossVPCOverIPv6: the peering lab made dual-stack,
// web and both targets with primary IPv6 addresses, so the copies to tgt
// in the peered VPC (or behind the transit gateway) travel over IPv6: the
// kernel hands them across the link to the receiver's fabric, whose
// forward program finds the receiver by its IPv6 address; the copies to
// lone, in a VPC with no way to, are counted lost. Same bytes and
// counters as user space, every copy by the kernel.
func TestPrivilegedKernelCrossVPCOverIPv6(t *testing.T) {
	for _, viaTGW := range []bool{false, true} {
		t.Run(map[bool]string{false: "peering", true: "transit gateway"}[viaTGW], func(t *testing.T) {
			user, kern := crossVPCRuns(t, peeringLab6(t, viaTGW), peeringSpec6(viaTGW))
			for _, f := range kern.wire["tgt"] {
				if binary.BigEndian.Uint16(f[12:]) != 0x86dd {
					t.Fatalf("a copy at tgt with outer ethertype %#04x, want IPv6", f[12:14])
				}
			}
			compareCounters(t, user, kern)
		})
	}
}

// peeringLab6 is peeringLab dual-stack: app 2001:db8:1::/56, insp
// 2001:db8:9::/56, iso 2001:db8:3::/56, a /64 per subnet.
func peeringLab6(t *testing.T, viaTGW bool) *sim.Lab {
	topo := peeringTopology(viaTGW)
	block := map[string]string{"app": "2001:db8:1::", "insp": "2001:db8:9::", "iso": "2001:db8:3::"}
	for i := range topo.VPCs {
		v := &topo.VPCs[i]
		v.IPv6CIDR = netip.MustParsePrefix(block[v.Name] + "/56")
		v.Subnets[0].IPv6CIDR = netip.MustParsePrefix(block[v.Name] + "/64")
	}
	for i := range topo.Instances {
		e := &topo.Instances[i].ENIs[0]
		e.IPv6 = netip.MustParseAddr(block[topo.Instances[i].VPC] + strconv.Itoa(int(e.IP.As4()[3])))
	}
	return realizeTopology(t, topo)
}

// peeringSpec6 is peeringSpec dual-stack, as peeringLab6: web, tgt and
// lone have primary IPv6 addresses (the copies travel over IPv6), and
// tgt's ACL and group open UDP 4789 from app's IPv6 CIDR too.
func peeringSpec6(viaTGW bool) cloudmock.Spec {
	s := peeringSpec(viaTGW)
	for i := range s.Vpcs {
		s.Vpcs[i].Ipv6CidrBlock = map[string]string{"vpc-app": "2001:db8:1::/56", "vpc-insp": "2001:db8:9::/56", "vpc-iso": "2001:db8:3::/56"}[s.Vpcs[i].VpcId]
	}
	for i := range s.Subnets {
		s.Subnets[i].Ipv6CidrBlock = map[string]string{"subnet-app": "2001:db8:1::/64", "subnet-insp": "2001:db8:9::/64", "subnet-iso": "2001:db8:3::/64"}[s.Subnets[i].SubnetId]
	}
	for i := range s.NetworkInterfaces {
		e := &s.NetworkInterfaces[i]
		e.Ipv6Address = map[string]string{"eni-web": "2001:db8:1::5", "eni-client": "2001:db8:1::6", "eni-tgt": "2001:db8:9::20", "eni-lone": "2001:db8:3::20"}[e.NetworkInterfaceId]
		e.EnablePrimaryIpv6 = e.NetworkInterfaceId != "eni-client"
	}
	acl := &s.NetworkAcls[0]
	acl.Entries = append(acl.Entries, cloudmock.NetworkAclEntry{RuleNumber: 110, Protocol: "udp", RuleAction: "allow", Ipv6CidrBlock: "2001:db8:1::/56",
		PortRange: &cloudmock.PortRange{From: 4789, To: 4789}})
	sg := &s.SecurityGroups[0].IpPermissions[0]
	sg.Ipv6Ranges = append(sg.Ipv6Ranges, cloudmock.Ipv6Range{CidrIpv6: "2001:db8:1::/56"})
	return s
}

// TestPrivilegedKernelMirrorsIPv6FromSockets: IPv6 datagrams from the
// client's socket (their checksums left to the device: CHECKSUM_PARTIAL),
// mirrored over IPv6 to tgt6 (the large ones cut at its MTU, the bytes
// cut off carried into the checksum the receiver's port completes) and
// over IPv4 to tgt4. The same copies as from user space but for the flow
// labels, which the client's stack draws anew in each run; every copy
// by the kernel.
func TestPrivilegedKernelMirrorsIPv6FromSockets(t *testing.T) {
	lab := dualStackLab(t)
	spec := dualStackSpec()
	web6 := netip.MustParseAddr("2001:db8:0:100::5")
	for _, port := range []uint16{9000, 9001} {
		listenUDPAt(t, lab, "web", netip.AddrPortFrom(web6, port))
	}
	listenUDPAt(t, lab, "tgt6", ap("[2001:db8:0:102::36]:4789"))
	listenUDPAt(t, lab, "tgt4", ap("10.0.0.20:4789"))
	client := listenUDPAt(t, lab, "client", ap("[2001:db8:0:100::6]:45001"))
	sends := []struct{ port, size int }{{9000, 20}, {9000, 701}, {9000, 1452}, {9000, 4000}, {9001, 21}, {9001, 1401}, {9001, 8000}}
	wires := map[string]*wireCapture{"tgt6": captureWire(t, lab, "tgt6"), "tgt4": captureWire(t, lab, "tgt4")}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		privtest.SkipIfNotSupported(t, svc.kernErr)
		for _, x := range sends {
			if _, err := client.conn.WriteToUDPAddrPort(bytes.Repeat([]byte{byte(x.size)}, x.size), netip.AddrPortFrom(web6, uint16(x.port))); err != nil {
				t.Fatal(err)
			}
		}
		results[i] = endRun(t, svc, m, wires, before, uint64(len(sends)))
		for _, frames := range results[i].wire {
			for _, f := range frames {
				withoutInnerFlowLabel(f)
			}
		}
	}
	user, kern := results[0], results[1]
	allByKernel(t, user, kern, uint64(len(sends)))
	if n := compareWires(t, user, kern); n != len(sends) {
		t.Errorf("the receivers' wires carried %d copies per run, want %d", n, len(sends))
	}
	checkOuterFamilies(t, kern.wire["tgt6"], 0x86dd, 4, 1440)
	compareCounters(t, user, kern)
}

// withoutInnerFlowLabel zeroes the flow label of a copy's inner IPv6
// header (after VXLAN over IPv4 or IPv6), in place.
func withoutInnerFlowLabel(f []byte) {
	inner := 14 + 20 + 8 + 8 + 14
	if binary.BigEndian.Uint16(f[12:]) == 0x86dd {
		inner = 14 + 40 + 8 + 8 + 14
	}
	if len(f) >= inner+4 && f[inner]>>4 == 6 {
		f[inner+1] &= 0xf0
		f[inner+2], f[inner+3] = 0, 0
	}
}
