package dataplane

import (
	"net/netip"
	"testing"
)

// TestPrivilegedTxChecksum switches a bridge port's transmit checksum
// offload off and back on, reading it after each change.
func TestPrivilegedTxChecksum(t *testing.T) {
	lab := testLab(t)
	e := lab.ENIByIP(netip.MustParseAddr("10.0.0.36"))
	f := lab.Fabric(e.VPC)
	err := f.Run(func() error {
		on, err := txChecksum(e.PeerName, false, false)
		if err != nil || !on {
			t.Fatalf("a veth starts with tx checksumming on: got %v, %v", on, err)
		}
		if before, err := txChecksum(e.PeerName, true, false); err != nil || !before {
			t.Fatalf("switch off: before %v, %v", before, err)
		}
		if on, err := txChecksum(e.PeerName, false, false); err != nil || on {
			t.Fatalf("after switching off: %v, %v", on, err)
		}
		if before, err := txChecksum(e.PeerName, true, true); err != nil || before {
			t.Fatalf("switch back on: before %v, %v", before, err)
		}
		if _, err := txChecksum("nosuchdev0", false, false); err == nil {
			t.Fatal("no error for a missing device")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
