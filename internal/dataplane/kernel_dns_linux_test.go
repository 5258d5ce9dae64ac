package dataplane

import (
	"net/netip"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedKernelMirrorsAmazonDNS: web's session has the amazon-dns
// network service, so its queries to the VPC resolver and to
// 169.254.169.253, and a reply from the resolver, are mirrored; with the
// in-kernel path on, the kernel mirrors them (counted by path: every copy
// is the kernel's), into the same bytes as the user-space path, while the
// metadata, time and DHCP frames beside them stay never mirrored (punted).
func TestPrivilegedKernelMirrorsAmazonDNS(t *testing.T) {
	lab := testLab(t)
	listenUDP(t, lab, "client", 7777).drain()
	listenUDP(t, lab, "web", 33002).drain()
	spec := baseSpec()
	f := acceptAllButICMP()
	f.NetworkServices = []string{cloudmock.NetworkServiceAmazonDNS}
	addSession(&spec, "tms", "web", "tgt1", 1, 8, f)
	never, dns, control := neverFrames(t, lab)
	webENI, clientENI := lab.Instance("web").ENI("eth0"), lab.Instance("client").ENI("eth0")
	// The resolver's answer to the first query, as the client's port
	// hands it to web's (the lab has no resolver).
	reply := frame(t, cloudmock.Packet{Proto: 17, Src: netip.MustParseAddr("10.0.0.2"), Dst: webENI.IP, SrcPort: 53, DstPort: 33002, PayloadLen: 60,
		SrcMAC: [6]byte(clientENI.MAC), DstMAC: [6]byte(webENI.MAC)})
	const want = 4 // the two queries, the reply, the control datagram
	wires := map[string]*wireCapture{"tgt1": captureWire(t, lab, "tgt1")}
	sk := newSink(t, lab, "tgt1")
	var results [2]pathRun
	for i, userSpace := range []bool{true, false} {
		before := wiresBefore(wires)
		sk.reset()
		svc, m := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = userSpace })
		if !userSpace {
			privtest.SkipIfNotSupported(t, svc.kernErr)
		}
		inject(t, lab, "web", append(append(append([][]byte{}, never...), dns...), control)...)
		inject(t, lab, "client", reply)
		expectCounts(t, settle(want, sk), map[string]int{"tgt1/8/7777": 1, "tgt1/8/53": 2, "tgt1/8/33002": 1})
		results[i] = endRun(t, svc, m, wires, before, want)
	}
	user, kern := results[0], results[1]
	if k := kern.snap.Kernel; !k.Enabled || k.Decided["eni-web/egress"] != "" || k.Decided["eni-web/ingress"] != "" {
		t.Fatalf("the in-kernel path is not deciding web's packets: %+v", k)
	}
	if got := kern.snap.Totals.Kernel; got != want {
		t.Errorf("the kernel mirrored %d copies, want all %d (Amazon DNS too)\n%s", got, want, printed(kern.snap))
	}
	if got := user.snap.Totals.Kernel; got != 0 {
		t.Errorf("UserSpaceOnly: the kernel mirrored %d copies", got)
	}
	if kern.snap.Kernel.Punted["never-mirrored"] < 3 {
		t.Errorf("the kernel punted %d packets as never mirrored, want the DHCP, metadata and time frames: %v",
			kern.snap.Kernel.Punted["never-mirrored"], kern.snap.Kernel.Punted)
	}
	if n := compareWires(t, user, kern); n != want {
		t.Errorf("%d copies on tgt1's wire, want %d", n, want)
	}
	if a, b := printed(user.model.Sessions), printed(kern.model.Sessions); a != b {
		t.Errorf("session counters differ:\nuser space %s\nkernel     %s", a, b)
	}
}
