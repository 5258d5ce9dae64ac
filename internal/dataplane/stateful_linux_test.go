package dataplane

import (
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// TestPrivilegedStatefulRepliesInOrder: web's security group lets
// nothing in, so a reply reaches web only as the return traffic of a
// flow its request recorded. web sends requests on many flows at rate;
// client echoes each at once, so requests (web's egress pipeline) and
// replies (its ingress pipeline) interleave. In user space the two
// directions share the ENI's ring and its reader (pipeline.capture): a
// reply decided before its request was recorded would be refused
// (dropped-by-source-sg). None may be.
func TestPrivilegedStatefulRepliesInOrder(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 79, acceptAllButICMP())
	spec.SecurityGroups = []cloudmock.SecurityGroup{{GroupId: "sg-web", VpcId: "vpc-1",
		IpPermissionsEgress: []cloudmock.IpPermission{{IpProtocol: "-1", IpRanges: []cloudmock.IpRange{{CidrIp: "0.0.0.0/0"}}}}}}
	for i := range spec.NetworkInterfaces {
		if spec.NetworkInterfaces[i].NetworkInterfaceId == "eni-web" {
			spec.NetworkInterfaces[i].Groups = []string{"sg-web"}
		}
	}
	echo := listenUDP(t, lab, "client", 7100)
	if err := setRcvBufForce(echo.conn, 8<<20); err != nil { // no request lost to a burst
		t.Fatal(err)
	}
	echo.echo()
	sk := newSink(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, func(c *Config) { c.UserSpaceOnly = true })
	webENI, clientENI := lab.Instance("web").ENI("eth0"), lab.Instance("client").ENI("eth0")
	// The model's flow table has 4096 slots, and a later flow in the
	// same slot replaces an earlier one (its reply is then refused
	// rightly): take source ports whose flows have slots of their own.
	const flows, tableSlots = 1000, 4096
	var requests [][]byte
	used := map[uint64]bool{}
	for port := 20000; len(requests) < flows; port++ {
		f := udpFrame(webENI, clientENI, port, 7100, 64)
		fl, ok := cloudmock.ParseFlow(f)
		if slot := (cloudmock.FlowHash(&fl) | 1) & (tableSlots - 1); ok && !used[slot] {
			used[slot] = true
			requests = append(requests, f)
		}
	}
	for i := 0; i < len(requests); i += 50 {
		inject(t, lab, "web", requests[i:i+50]...)
		time.Sleep(time.Millisecond) // ~50 000 requests a second
	}
	arrived := settle(2*flows, sk)
	replies := map[uint16]bool{}
	for _, a := range arrived {
		if a.innerSrc == clientENI.IP && a.sport == 7100 {
			replies[a.dport] = true
		}
	}
	st := svc.Snapshot()
	if out := st.ENIs["eni-web"].Egress.Mirrored; out != flows {
		t.Fatalf("egress mirrored %d requests, want %d\n%s", out, flows, dumpSnapshot(svc))
	}
	// No reply refused, and every one mirrored (the client's echo and
	// the sink have buffers for the whole run: were a reply lost on the
	// way, this would fail too, and say so). A reply decided before its
	// request is refused, so it is neither counted mirrored nor at the
	// sink. The group's refusal counter alone proves nothing: it also
	// counts strays web's group refuses rightly (in a loaded run, one
	// packet beside the 1 000 replies: captured 1 001, mirrored 1 000).
	in := st.ENIs["eni-web"].Ingress
	refused := st.Model.ENIs["eni-web"].NotMirrored["dropped-by-source-sg"]
	if in.Mirrored != flows || len(replies) != flows {
		t.Errorf("%d of %d replies mirrored (%d at the sink), %d packets refused by web's security group: replies decided before their requests\n%s",
			in.Mirrored, flows, len(replies), refused, dumpSnapshot(svc))
	}
}
