package dataplane

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedKernelPathMatchesUserSpace sends the same traffic through
// the service twice, once deciding every packet in user space and once
// with the in-kernel path, and requires the same bytes on the receivers'
// wires and the same provider counters. The traffic covers what each path
// must get right: frames of 64 to 8961 bytes (the kernel's common case),
// copies cut at a 1500-byte target, datagrams from a socket whose
// checksums the instance left to the device (completed on the receiver's
// port), echoed replies (egress rules on source ports), a rejected port
// (punted to user space), and a stateful security group on web: ICMP it
// does not let in, a datagram it does not let out, and a reply that leaves
// by the flow its request recorded, decided in user space (a fragment)
// from the record the kernel made in the table the two share.
func TestPrivilegedKernelPathMatchesUserSpace(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 77, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(50, "reject", 17, 9001, 9001), rule(100, "accept", 17, 0, 0)},
		EgressFilterRules:  rules{srule(100, "accept", 17, 9000, 9002)},
	})
	addSession(&spec, "tms-client", "client", "tgt3", 1, 78, cloudmock.TrafficMirrorFilter{
		EgressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	// web's security group lets UDP 9000-9002 in from the public subnet
	// and UDP to its ports 47000-47999 out; anything else leaves only as
	// the reply of a flow that came in (stateful).
	udpFrom := func(from, to int) []cloudmock.IpPermission {
		return []cloudmock.IpPermission{{IpProtocol: "udp", FromPort: from, ToPort: to, IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.0.0/28"}}}}
	}
	spec.SecurityGroups = []cloudmock.SecurityGroup{{GroupId: "sg-web", VpcId: "vpc-1",
		IpPermissions: udpFrom(9000, 9002), IpPermissionsEgress: udpFrom(47000, 47999)}}
	for i := range spec.NetworkInterfaces {
		if spec.NetworkInterfaces[i].NetworkInterfaceId == "eni-web" {
			spec.NetworkInterfaces[i].Groups = []string{"sg-web"}
		}
	}
	web := listenUDP(t, lab, "web", 9000)
	web.echo()
	listenUDP(t, lab, "web", 9001).drain()
	listenUDP(t, lab, "web", 9002).drain()
	client := listenUDP(t, lab, "client", 47999)
	client.drain()
	for port := 47000; port < 47005; port++ {
		// web's echoes of the injected frames: no ICMP errors back (the
		// kernel rate-limits them, so their count would differ by run).
		listenUDP(t, lab, "client", port).drain()
	}
	clientENI, webENI := lab.Instance("client").ENI("eth0"), lab.Instance("web").ENI("eth0")
	frames := append(sizedFrames(clientENI, webENI), udpFrame(clientENI, webENI, 47100, 9001, 200),
		frame(t, cloudmock.Packet{Proto: encap.ProtoICMP, Src: clientENI.IP, Dst: webENI.IP, ICMPType: 8, PayloadLen: 56,
			SrcMAC: [6]byte(clientENI.MAC), DstMAC: [6]byte(webENI.MAC)}),
		udpFrame(clientENI, webENI, 48100, 9002, 300))
	// Sent by web once the frames above are decided: the reply to the
	// last one leaves by its recorded flow alone; a datagram web sends
	// unasked, to a port its group does not open, is dropped. The reply
	// is a first fragment (more fragments), which the kernel leaves to
	// user space: there the flow the kernel recorded must be found, in
	// the table the two share.
	reply := udpFrame(webENI, clientENI, 9002, 48100, 300)
	reply[14+6] |= 0x20
	reply[14+10], reply[14+11] = 0, 0
	sum := ^naiveSum(reply[14:34])
	reply[14+10], reply[14+11] = byte(sum>>8), byte(sum)
	replies := [][]byte{reply, udpFrame(webENI, clientENI, 9000, 5555, 100)}
	wires := map[string]*wireCapture{"tgt1": captureWire(t, lab, "tgt1"), "tgt3": captureWire(t, lab, "tgt3")}
	sinks := []*sink{newSink(t, lab, "tgt1"), newSink(t, lab, "tgt3")}
	// Copies per run: tgt1 gets web's ingress (the 5 frames, the one to
	// 9002 and the 3 socket datagrams) and egress (web echoes the 8 to
	// 9000, and the reply from 9002); tgt3 gets client's egress to 9000
	// (the 3 datagrams and the 5 frames: they leave the client's port
	// like its stack's). The rejected port, ICMP (which web's group does
	// not let in) and the unasked datagram mirror nothing.
	const want = 9 + 9 + 8
	payloads := [][]byte{bytes.Repeat([]byte("a"), 20), bytes.Repeat([]byte("b"), 1400), bytes.Repeat([]byte("c"), 8000)}
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		for _, s := range sinks {
			s.reset()
		}
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		privtest.SkipIfNotSupported(t, svc.kernErr)
		inject(t, lab, "client", frames...)
		for _, p := range payloads {
			client.send(t, netip.AddrPortFrom(webENI.IP, 9000), p, 1)
		}
		if got := settle(want-1, sinks...); len(got) != want-1 {
			t.Fatalf("user space only %v: before the replies, the sinks got %d copies, want %d:%s\n%s", userSpace, len(got), want-1, describe(got), dumpSnapshot(svc))
		}
		inject(t, lab, "web", replies...)
		if got := settle(want, sinks...); len(got) != want {
			t.Fatalf("user space only %v: the sinks got %d copies, want %d:%s\n%s", userSpace, len(got), want, describe(got), dumpSnapshot(svc))
		}
		results[i] = endRun(t, svc, m, wires, before, 0)
	}
	user, kern := results[0], results[1]
	if k := kern.snap.Kernel; !k.Enabled || k.Decided["eni-web/ingress"] != "" || k.Decided["eni-web/egress"] != "" || k.Decided["eni-client/egress"] != "" {
		t.Fatalf("the in-kernel path is not deciding web's ingress and client's egress: %+v", k)
	}
	if user.snap.Kernel.Enabled || user.snap.Totals.Kernel != 0 {
		t.Fatalf("UserSpaceOnly: the kernel still mirrors: %+v", user.snap.Kernel)
	}
	// All of them plain IPv4 for the kernel, the socket's with partial
	// checksums too (the 8000-byte datagram cut at tgt3 as well: the
	// bytes cut off are carried into its checksum), but the fragment,
	// left to user space.
	if got := kern.snap.Totals.Kernel; got != want-1 {
		t.Errorf("the kernel mirrored %d copies, want %d\n%s", got, want-1, printed(kern.snap))
	}
	for _, r := range []string{"rejected", "no-match", "security-group", "fragment"} {
		if kern.snap.Kernel.Punted[r] == 0 {
			t.Errorf("no packet punted as %s: %v", r, kern.snap.Kernel.Punted)
		}
	}
	compareWires(t, user, kern)
	// The provider's counters of what was mirrored, per ENI and session.
	// What was not mirrored depends on the run too (ARP resolved in the
	// first run only, ICMP errors), but the rejected packet is one, and
	// so is the one web's security group drops.
	if a, b := printed(user.model.Sessions), printed(kern.model.Sessions); a != b {
		t.Errorf("session counters differ:\nuser space %s\nkernel     %s", a, b)
	}
	for id, u := range user.model.ENIs {
		k := kern.model.ENIs[id]
		for _, r := range []string{"rejected-by-rule", "dropped-by-source-sg"} {
			if u.NotMirrored[r] != k.NotMirrored[r] {
				t.Errorf("%s: %s %d in user space, %d with the kernel", id, r, u.NotMirrored[r], k.NotMirrored[r])
			}
		}
		u.NotMirrored, k.NotMirrored = nil, nil
		if printed(u) != printed(k) {
			t.Errorf("%s: counters differ:\nuser space %+v\nkernel     %+v", id, u, k)
		}
	}
	if u, k := user.snap.Totals, kern.snap.Totals; u.Mirrored != k.Mirrored || u.Sent != k.Sent || u.SentBytes != k.SentBytes {
		t.Errorf("data plane totals differ: user space mirrored %d sent %d (%d bytes), kernel %d %d (%d)",
			u.Mirrored, u.Sent, u.SentBytes, k.Mirrored, k.Sent, k.SentBytes)
	}
}

// withoutInnerID returns a copy of a VXLAN frame (outer IPv4) with the
// inner IPv4 id and header checksum zeroed: the instances' stacks number
// their datagrams anew in each run. Their UDP checksums, over the same
// payloads, must come out equal: the kernel's copies have them completed.
func withoutInnerID(f []byte) []byte {
	const inner = 14 + 20 + 8 + 8 + 14
	f = slices.Clone(f)
	if len(f) >= inner+20 {
		copy(f[inner+4:inner+6], []byte{0, 0})
		copy(f[inner+10:inner+12], []byte{0, 0})
	}
	return f
}

func printed(v any) string { return fmt.Sprintf("%+v", v) }
