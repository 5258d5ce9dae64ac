package runner

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// captureLab is a lab of two instances, a (10.0.0.5) and b (10.0.0.6),
// on one subnet.
func captureLab(t *testing.T) *sim.Lab {
	t.Helper()
	privtest.Require(t)
	v := sim.VPCSpec{Name: "vpc", CIDR: netip.MustParsePrefix("10.0.0.0/24"),
		Subnets: []sim.SubnetSpec{{Name: "a", CIDR: netip.MustParsePrefix("10.0.0.0/28")}}}
	topo := sim.Topology{VPCs: []sim.VPCSpec{v}}
	for i, name := range []string{"a", "b"} {
		topo.Instances = append(topo.Instances, sim.InstanceSpec{Name: name, VPC: "vpc",
			ENIs: []sim.ENISpec{{Name: "eth0", Subnet: "a", IP: netip.AddrFrom4([4]byte{10, 0, 0, byte(5 + i)})}}})
	}
	l, err := sim.Realize(context.Background(), topo, sim.Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return l
}

// threads is how many OS threads the process has.
func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads in /proc/self/status")
	return 0
}

// TestPrivilegedArrivalCaptures: idle captures hold no thread each (they
// wait in the netpoller; a capture blocked in recvfrom held one), and a
// capture counts every VXLAN datagram that reached its interface, those
// still queued when it stops too.
func TestPrivilegedArrivalCaptures(t *testing.T) {
	l := captureLab(t)
	a, b := l.Instance("a"), l.Instance("b")
	const idle = 32
	before := threads(t)
	cs := make([]*arrivalCapture, idle)
	for i := range cs {
		c, err := startArrivalCapture(b, b.ENI("eth0"), "eni-b")
		if err != nil {
			stopCaptures(cs[:i])
			t.Fatal(err)
		}
		cs[i] = c
	}
	grown := threads(t) - before
	if grown >= idle/2 {
		t.Errorf("%d idle captures: the process grew by %d threads, want fewer than %d", idle, grown, idle/2)
	}
	const sent, vni = 5, 42
	if err := sendVXLAN(a, b, sent, vni); err != nil {
		stopCaptures(cs)
		t.Fatal(err)
	}
	// Stopped at once: the datagrams may still be queued on the sockets.
	for i, got := range stopCaptures(cs) {
		if got.Error != "" || got.ByVNI[vni] != sent || got.Total != sent {
			t.Errorf("capture %d: %d datagrams of VNI %d, %d in all (error %q), want %d", i, got.ByVNI[vni], vni, got.Total, got.Error, sent)
		}
	}
	var _ *report.Arrival = cs[0].stop() // stopping again returns the same
}

// sendVXLAN sends n VXLAN datagrams of VNI vni from instance a to a UDP
// socket on b's port 4789, and returns once that socket has them all: a
// packet socket on b's interface has them by then (the kernel hands a
// frame to the packet sockets before IP).
func sendVXLAN(a, b *sim.Instance, n int, vni byte) error {
	var rx, tx *net.UDPConn
	err := b.Run(func() (err error) {
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 0, 0, 6), Port: 4789})
		return err
	})
	if err != nil {
		return err
	}
	defer rx.Close()
	err = a.Run(func() (err error) {
		tx, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 6), Port: 4789})
		return err
	})
	if err != nil {
		return err
	}
	defer tx.Close()
	vxlan := append([]byte{0x08, 0, 0, 0, 0, 0, vni, 0}, make([]byte, 64)...)
	for range n {
		if _, err := tx.Write(vxlan); err != nil {
			return err
		}
	}
	if err := rx.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	buf := make([]byte, 256)
	for range n {
		if _, err := rx.Read(buf); err != nil {
			return err
		}
	}
	return nil
}
