package sim

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sim/state"
)

// failAfter is a context that turns cancelled after n calls to Err, to
// interrupt Realize at a chosen step.
type failAfter struct {
	context.Context
	n atomic.Int32
}

func (c *failAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestPrivilegedRealizeFailureLeavesNothing interrupts Realize after the
// fabric and two instances exist, and checks it removed them.
func TestPrivilegedRealizeFailureLeavesNothing(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	ctx := &failAfter{Context: context.Background()}
	ctx.n.Store(3) // the fabric, prod, adapter; then cancelled
	id := state.NewRunID()
	lab, err := Realize(ctx, walkthrough(), Options{RunID: id, StateDir: dir})
	if !errors.Is(err, context.Canceled) || lab != nil {
		t.Fatalf("Realize = %v, %v; want context.Canceled", lab, err)
	}
	if got := namespacesOf(t, id); len(got) != 0 {
		t.Errorf("namespaces left: %v", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("state directory holds %v", ents)
	}
}

func TestRealizeRefusesBadInput(t *testing.T) {
	topo := walkthrough()
	topo.Instances[0].ENIs[0].Subnet = "nope"
	_, err := Realize(context.Background(), topo, Options{StateDir: t.TempDir()})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "Instances[0].ENIs[0].Subnet" {
		t.Fatalf("Realize of a bad topology = %v; want the validation error", err)
	}
	dir := t.TempDir()
	for _, id := range []string{"ABC", "toolong7", "a-b"} {
		if _, err := Realize(context.Background(), walkthrough(), Options{RunID: id, StateDir: dir}); err == nil ||
			!strings.Contains(err.Error(), "run id") {
			t.Errorf("RunID %q: %v, want a run id error", id, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused Realize wrote %v", ents)
	}
}

// TestPrivilegedRunIDInUse: a second lab with the id of a live one is
// refused and does not disturb it.
func TestPrivilegedRunIDInUse(t *testing.T) {
	lab := realize(t, walkthrough())
	_, err := Realize(context.Background(), walkthrough(), Options{RunID: lab.RunID(), StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Realize with run id %s: %v, want in use", lab.RunID(), err)
	}
	if got := namespacesOf(t, lab.RunID()); len(got) != 5 {
		t.Fatalf("first lab's namespaces: %v", got)
	}
}

// TestPrivilegedMultiENIAndVPCs: an instance with ENIs in two subnets
// answers on each from the right address (policy routing for the second),
// and two VPCs with the same CIDR live side by side.
func TestPrivilegedMultiENIAndVPCs(t *testing.T) {
	topo := walkthrough()
	topo.Instances[1].ENIs = append(topo.Instances[1].ENIs, ENISpec{Name: "eth1", Subnet: "test", MTU: 1500})
	other := topo.VPCs[0]
	other.Name = "vpc2"
	topo.VPCs = append(topo.VPCs, other)
	topo.Instances = append(topo.Instances, InstanceSpec{Name: "twin", VPC: "vpc2", ENIs: []ENISpec{{Name: "eth0", Subnet: "public"}}},
		InstanceSpec{Name: "twin2", VPC: "vpc2", ENIs: []ENISpec{{Name: "eth0", Subnet: "test"}}})
	lab := realize(t, topo)
	adapter := lab.Instance("adapter")
	if len(lab.Fabrics()) != 2 || lab.Fabric("vpc2").ENIByIP(netip.MustParseAddr("10.0.0.4")).Instance != "twin" {
		t.Fatalf("second VPC: fabrics %d", len(lab.Fabrics()))
	}
	if lab.ENIByIP(netip.MustParseAddr("10.0.0.4")).Instance != "prod" {
		t.Fatal("ENIByIP must prefer the first VPC")
	}
	// Every ENI of adapter serves, and the client sees the address it dialled.
	for _, e := range adapter.ENIs {
		var ln net.Listener
		if err := adapter.Run(func() (err error) { ln, err = net.Listen("tcp", netip.AddrPortFrom(e.IP, 9000).String()); return }); err != nil {
			t.Fatal(err)
		}
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Write([]byte(c.LocalAddr().String()))
				c.Close()
			}
		}()
		for _, from := range []*Instance{lab.Instance("client"), lab.Instance("testsrv")} {
			var got string
			err := from.Run(func() error {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				b := make([]byte, 64)
				n, _ := c.Read(b)
				got = string(b[:n])
				return nil
			})
			if err != nil || got != ln.Addr().String() {
				t.Errorf("%s -> adapter %s: %q, %v", from.Name, e.Name, got, err)
			}
			if from.Name == "client" {
				break // one connection per listener
			}
		}
		ln.Close()
	}
	// The twins talk inside vpc2 only, with the same addresses as vpc.
	twin, twin2 := lab.Instance("twin"), lab.Instance("twin2")
	if twin.ENIs[0].IP != lab.Instance("prod").ENIs[0].IP {
		t.Errorf("twin has %s, want the same address as prod", twin.ENIs[0].IP)
	}
	if err := twin.Run(func() error {
		r, err := pingDF(twin2.ENIs[0].IP, 100, 0x7777)
		if err == nil && !r.reply {
			err = errors.New(r.String())
		}
		return err
	}); err != nil {
		t.Errorf("twin -> twin2: %v", err)
	}
	// Nothing in a fabric filters with iptables: its bridges skip bridge
	// netfilter (when the br_netfilter module is there at all).
	for _, f := range lab.Fabrics() {
		for _, k := range []string{"iptables", "ip6tables", "arptables"} {
			var b []byte
			err := f.Run(func() (err error) { b, err = os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-" + k); return })
			switch {
			case errors.Is(err, os.ErrNotExist):
				t.Logf("no br_netfilter: bridge-nf-call-%s absent", k)
			case err != nil:
				t.Error(err)
			case strings.TrimSpace(string(b)) != "0":
				t.Errorf("fabric %s: bridge-nf-call-%s = %s, want 0", f.VPC, k, b)
			}
		}
	}
}
