package geneve

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// gwlbHeader is a Gateway Load Balancer's GENEVE header in AWS's layout:
// option length 8 words, no flags, IPv4, VNI 0, then class 0x0108 type 1
// (endpoint id vpce-0a1b2c3d4e5f60718), type 2 (attachment id), type 3
// (flow cookie).
var gwlbHeader = []byte{
	0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x01, 0x02, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18,
	0x01, 0x08, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34,
	0x01, 0x08, 0x03, 0x01, 0xde, 0xad, 0xbe, 0xef,
}

func TestDecodeGWLB(t *testing.T) {
	payload := []byte{0x45, 0, 0, 20}
	b := append(append([]byte(nil), gwlbHeader...), payload...)
	h, p, err := Decode(b)
	if err != nil || h.Protocol != ProtoIPv4 || h.VNI != 0 || h.OAM || h.Critical || len(h.Options) != 32 || !bytes.Equal(p, payload) {
		t.Fatalf("Decode = %+v, %x, %v", h, p, err)
	}
	g, ok, err := h.GWLB()
	if err != nil || !ok || g != (GWLB{EndpointID: 0xa1b2c3d4e5f60718, AttachmentID: 0x1234, FlowCookie: 0xdeadbeef}) {
		t.Fatalf("GWLB = %+v, %v, %v", g, ok, err)
	}
	// gopacket's decoder reads the same.
	pkt := gopacket.NewPacket(b, layers.LayerTypeGeneve, gopacket.Default)
	gl, _ := pkt.Layer(layers.LayerTypeGeneve).(*layers.Geneve)
	if gl == nil || gl.Protocol != layers.EthernetTypeIPv4 || len(gl.Options) != 3 || !bytes.Equal(gl.Options[2].Data, []byte{0xde, 0xad, 0xbe, 0xef}) {
		t.Fatalf("gopacket: %+v", gl)
	}
}

func TestDecodeErrors(t *testing.T) {
	ver := append([]byte(nil), gwlbHeader...)
	ver[0] |= 0x40
	badOpt := append([]byte(nil), gwlbHeader...)
	badOpt[35] = 0x1f // the cookie claims 124 bytes
	for _, c := range []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrTruncated},
		{"short header", gwlbHeader[:7], ErrTruncated},
		{"options cut", gwlbHeader[:30], ErrTruncated},
		{"version 1", ver, ErrVersion},
	} {
		if _, _, err := Decode(c.b); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	h, _, err := Decode(badOpt)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := h.GWLB(); ok || !errors.Is(err, ErrOption) {
		t.Errorf("an option past the area: ok %v, %v", ok, err)
	}
	// Missing TLVs: not a GWLB's header, but no error.
	h, _, _ = Decode([]byte{0x03, 0, 0x08, 0, 0, 0, 1, 0, 0x01, 0x08, 0x03, 0x01, 1, 2, 3, 4, 0xff, 0xff, 0x01, 0x00})
	if g, ok, err := h.GWLB(); ok || err != nil || g.FlowCookie != 0x01020304 || h.VNI != 1 {
		t.Errorf("cookie only: %+v %v %v", g, ok, err)
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	b := append(append([]byte(nil), gwlbHeader...), 1, 2, 3)
	allocs := testing.AllocsPerRun(1000, func() {
		h, _, _ := Decode(b)
		_, _, _ = h.GWLB()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations", allocs)
	}
}

// FuzzDecode: no input panics, and the payload is always a suffix of the
// input.
func FuzzDecode(f *testing.F) {
	f.Add(gwlbHeader)
	f.Add([]byte{0x3f, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{0x01, 0, 0x08, 0, 0, 0, 0, 0, 0x01, 0x08, 0x01, 0x1f})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := Decode(b)
		if err != nil {
			return
		}
		if len(h.Options)+HeaderLen+len(p) != len(b) || !bytes.HasSuffix(b, p) {
			t.Fatalf("options %d + payload %d do not make %d", len(h.Options), len(p), len(b))
		}
		_, _, _ = h.GWLB()
	})
}
