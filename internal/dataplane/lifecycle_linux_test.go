package dataplane

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// fabricState is what `ip link`, `ip route`, `ip rule` and `tc qdisc`
// show in the fabric namespace: the service must change none of it.
func fabricState(t *testing.T, ns string) string {
	t.Helper()
	var all []byte
	for _, args := range [][]string{
		{"ip", "-n", ns, "link", "show"}, {"ip", "-n", ns, "route", "show", "table", "all"},
		{"ip", "-n", ns, "rule", "show"}, {"tc", "-n", ns, "qdisc", "show"},
	} {
		out, err := exec.Command(args[0], args[1:]...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		all = append(all, out...)
	}
	return string(all)
}

// TestPrivilegedCloseReleasesEverything: in user space, the service's
// only kernel state is sockets (no link, route, rule or qdisc appears in
// the fabric namespace even while it runs); with the in-kernel path (and
// its copy stream for the pcapng files) the filters it attaches are gone
// after Close. After Close no descriptor or goroutine is left, and a
// second Close returns the same result.
func TestPrivilegedCloseReleasesEverything(t *testing.T) {
	for _, userOnly := range []bool{true, false} {
		t.Run(map[bool]string{true: "user-space", false: "kernel"}[userOnly], func(t *testing.T) {
			closeReleasesEverything(t, userOnly)
		})
	}
}

func closeReleasesEverything(t *testing.T, userOnly bool) {
	lab := testLab(t)
	spec := nlbSpec(true)
	addSession(&spec, "tms-web15", "web15", "tgt1", 1, 15, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	a1, a2 := newSink(t, lab, "agent1"), newSink(t, lab, "agent2")
	listenTCP(t, lab, "agent1", 8081)
	listenTCP(t, lab, "agent2", 8081)
	listenUDP(t, lab, "web", 9000).drain()
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	var clients []*udpPeer
	for i := 0; i < 4; i++ {
		clients = append(clients, listenUDP(t, lab, "client", 46000+i))
	}
	ns := lab.Fabric("vpc").NsName
	before, fds := fabricState(t, ns), openFDs(t)
	ignore := goleak.IgnoreCurrent()

	svc, err := Start(context.Background(), Config{Model: m, Spec: &spec, Lab: lab, PcapDir: t.TempDir(),
		UserSpaceOnly: userOnly, HealthCheck: HealthCheck{Port: 8081, Interval: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		c.send(t, ap("10.0.0.5:9000"), []byte("lifecycle"), 2)
	}
	if got := settle(8, a1, a2); len(got) != 8 {
		t.Errorf("%d copies arrived, want 8", len(got))
	}
	if during := openFDs(t); during <= fds {
		t.Errorf("open descriptors while running %d, before %d: the service opened no socket?", during, fds)
	}
	// While running in user space, the namespace holds nothing of the
	// service but its sockets: a crash (the kernel closing them) leaves
	// nothing behind.
	if during := fabricState(t, ns); userOnly && during != before {
		t.Errorf("fabric namespace changed while the service runs:\nbefore:\n%s\nduring:\n%s", before, during)
	}
	err1 := svc.Close()
	if err1 != nil {
		t.Fatalf("Close: %v", err1)
	}
	if err2 := svc.Close(); err2 != err1 {
		t.Errorf("second Close returned %v, first %v", err2, err1)
	}
	if after := openFDs(t); after != fds {
		t.Errorf("open descriptors after Close %d, before Start %d", after, fds)
	}
	if after := fabricState(t, ns); after != before {
		t.Errorf("fabric namespace changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	goleak.VerifyNone(t, ignore)
}

// TestPrivilegedSkipWhenSaturated: with a one-slot queue and bursts of
// captured packets, copies are skipped and counted as the provider's Skip
// metrics; production traffic is not slowed or lost; every copy sent
// arrives.
func TestPrivilegedSkipWhenSaturated(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms", "web", "tgt1", 1, 1, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	sk := newSink(t, lab, "tgt1")
	svc, _ := startService(t, lab, spec, func(c *Config) {
		c.QueueLen, c.Batch = 1, 1
		c.Ring.BlockTimeout = 50 * time.Millisecond // deliver the capture in bursts
		c.UserSpaceOnly = true                      // the queue under test is user space's
	})
	srv := listenUDP(t, lab, "web", 9000)
	if err := setRcvBufForce(srv.conn, 16<<20); err != nil {
		t.Fatal(err)
	}
	recvd := make(chan int)
	go func() {
		buf := make([]byte, 2048)
		n := 0
		srv.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for n < 3000 {
			if _, _, err := srv.conn.ReadFromUDPAddrPort(buf); err != nil {
				break
			}
			n++
		}
		recvd <- n
	}()
	c := listenUDP(t, lab, "client", 47000)
	c.send(t, ap("10.0.0.5:9000"), make([]byte, 1000), 3000)
	if n := <-recvd; n != 3000 {
		t.Errorf("production: web received %d of 3000 datagrams", n)
	}
	time.Sleep(200 * time.Millisecond) // let the capture finish and the ring stats refresh
	snap := svc.Snapshot()
	in := snap.ENIs["eni-web"].Ingress
	e := snap.Model.ENIs["eni-web"]
	skipped := in.Dropped["queue_full"]
	if skipped == 0 || e.NetworkPacketsSkipMirrorIn != skipped {
		t.Errorf("queue-full drops %d, model NetworkPacketsSkipMirrorIn %d: want equal and > 0", skipped, e.NetworkPacketsSkipMirrorIn)
	}
	if e.NetworkSkipMirrorIn != skipped*1042 {
		t.Errorf("NetworkSkipMirrorIn %d bytes, want %d", e.NetworkSkipMirrorIn, skipped*1042)
	}
	if e.NetworkPacketsMirrorIn+skipped != in.Mirrored || in.Mirrored > 3000 || in.Mirrored+in.RingDrops < 3000 {
		t.Errorf("mirrored %d = model %d + skipped %d? ring drops %d; 3000 sent", in.Mirrored, e.NetworkPacketsMirrorIn, skipped, in.RingDrops)
	}
	if d := snap.Model.Sessions["tms"].Delivery["delivered"]; d != in.Sent {
		t.Errorf("model: %d copies delivered, the service sent %d (skipped copies are not delivered)", d, in.Sent)
	}
	got := settle(int(in.Sent), sk)
	if uint64(len(got)) != in.Sent || in.Sent != e.NetworkPacketsMirrorIn {
		t.Errorf("target received %d, service sent %d, model mirrored %d: want all equal", len(got), in.Sent, e.NetworkPacketsMirrorIn)
	}
	t.Logf("3000 packets: %d mirrored, %d skipped (queue of 1), %d ring drops", in.Sent, skipped, in.RingDrops)
}

// TestPrivilegedRingOverrunCounted: a one-block ring that the capture
// holds while the kernel has more to write overruns; the kernel's drops
// are counted, production traffic is not affected.
func TestPrivilegedRingOverrunCounted(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms", "web", "tgt1", 1, 1, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	listenUDP(t, lab, "tgt1", 4789)
	svc, _ := startService(t, lab, spec, func(c *Config) {
		c.Ring = RingOptions{BlockSize: os.Getpagesize(), Blocks: 1, BlockTimeout: 20 * time.Millisecond}
		c.UserSpaceOnly = true // the ring under test sees every packet
	})
	srv := listenUDP(t, lab, "web", 9000)
	if err := setRcvBufForce(srv.conn, 16<<20); err != nil {
		t.Fatal(err)
	}
	web := lab.Instance("web")
	before := rxPackets(t, web)
	c := listenUDP(t, lab, "client", 47100)
	c.send(t, ap("10.0.0.5:9000"), make([]byte, 200), 2000)
	time.Sleep(200 * time.Millisecond)
	if got := rxPackets(t, web) - before; got < 2000 {
		t.Errorf("production: web's interface received %d of 2000 frames", got)
	}
	in := svc.Snapshot().ENIs["eni-web"].Ingress
	if in.RingDrops == 0 || in.Captured+in.RingDrops < 2000 {
		t.Errorf("ring drops %d, captured %d: want drops > 0 and captured + drops >= 2000", in.RingDrops, in.Captured)
	}
	t.Logf("2000 frames: %d captured, %d dropped by the ring", in.Captured, in.RingDrops)
}

// TestPrivilegedStartFailureReleases: a Start that fails half-way names
// the source ENI and leaves no descriptor behind.
func TestPrivilegedStartFailureReleases(t *testing.T) {
	lab := testLab(t)
	spec := baseSpec()
	addSession(&spec, "tms-web", "web", "tgt1", 1, 1, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	addSession(&spec, "tms-web15", "web15", "tgt1", 1, 2, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 0, 0)},
	})
	m, err := cloudmock.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	bogus := *lab.Instance("web15").ENI("eth0")
	bogus.PeerName, bogus.PeerIndex = "ml-no-such-if", 1<<30 // rings bind by index
	fds := openFDs(t)
	ignore := goleak.IgnoreCurrent()
	// The rings fail (the in-kernel path, were it on, would fail first,
	// attaching to the port).
	_, err = Start(context.Background(), Config{Model: m, Lab: lab, PcapDir: t.TempDir(), UserSpaceOnly: true,
		ENIs: map[string]*sim.ENI{"eni-web15": &bogus}})
	if err == nil || !strings.Contains(err.Error(), "eni-web15") || !strings.Contains(err.Error(), "ml-no-such-if") {
		t.Fatalf("Start error = %v, want one naming eni-web15 and its interface", err)
	}
	t.Logf("Start failed as expected: %v", err)
	if after := openFDs(t); after != fds {
		t.Errorf("descriptors after a failed Start %d, before %d", after, fds)
	}
	goleak.VerifyNone(t, ignore)
	if _, err := Start(context.Background(), Config{Lab: lab}); err == nil || !strings.Contains(err.Error(), "Model") {
		t.Errorf("Start without a model: %v", err)
	}
}
