package vxlan

import (
	"bytes"
	"errors"
	"testing"
)

// awsHeader is the VXLAN header of every datagram of a capture made by AWS
// Traffic Mirroring (suricata-verify vxlan-decoder-03): flags 0x08, VNI
// 5569041 (0x54fa11).
var awsHeader = []byte{0x08, 0x00, 0x00, 0x00, 0x54, 0xfa, 0x11, 0x00}

func TestDecodeGolden(t *testing.T) {
	pkt := append(append([]byte{}, awsHeader...), 0x02, 0x29, 0x23)
	vni, inner, err := Decode(pkt)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if vni != 5569041 {
		t.Errorf("vni = %d, want 5569041", vni)
	}
	if !bytes.Equal(inner, []byte{0x02, 0x29, 0x23}) {
		t.Errorf("inner = %x", inner)
	}
}

func TestDecodeReservedBitsIgnored(t *testing.T) {
	// Every reserved bit set, I flag set: still valid, same VNI.
	pkt := []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0xff}
	vni, inner, err := Decode(pkt)
	if err != nil || vni != 1 || len(inner) != 0 {
		t.Fatalf("Decode = %d, %x, %v; want 1, empty, nil", vni, inner, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"seven bytes", awsHeader[:7], ErrTruncated},
		{"no I flag", []byte{0xf7, 0, 0, 0, 0, 0, 1, 0}, ErrNoIFlag},
	} {
		if _, _, err := Decode(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestAppendRoundTrip(t *testing.T) {
	got := Append(nil, 5569041)
	if !bytes.Equal(got, awsHeader) {
		t.Fatalf("Append = %x, want %x", got, awsHeader)
	}
	for _, v := range []uint32{0, 1, 4789, MaxVNI} {
		vni, _, err := Decode(Append(nil, v))
		if err != nil || vni != v {
			t.Errorf("round trip %d: got %d, %v", v, vni, err)
		}
	}
}

func TestDecodeNoAlloc(t *testing.T) {
	pkt := append(append([]byte{}, awsHeader...), make([]byte, 64)...)
	bad := []byte{0}
	allocs := testing.AllocsPerRun(1000, func() {
		_, _, _ = Decode(pkt)
		_, _, _ = Decode(bad)
	})
	if allocs != 0 {
		t.Fatalf("Decode allocates %v times per call", allocs)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(awsHeader)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		vni, inner, err := Decode(b)
		if err != nil {
			return
		}
		if vni > MaxVNI {
			t.Fatalf("vni %d exceeds 24 bits", vni)
		}
		if len(inner) != len(b)-HeaderLen {
			t.Fatalf("inner length %d, want %d", len(inner), len(b)-HeaderLen)
		}
		if b[0]&FlagI == 0 {
			t.Fatal("accepted a header without the I flag")
		}
		re := Append(nil, vni)
		if v2, _, _ := Decode(re); v2 != vni {
			t.Fatalf("re-encode changed vni %d -> %d", vni, v2)
		}
	})
}
