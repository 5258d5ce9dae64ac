package encap

import "testing"

// TestChecksum checks the RFC 1071 example (section 3) and that a header
// with its checksum in place sums to zero.
func TestChecksum(t *testing.T) {
	// RFC 1071: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded), so the
	// checksum is its complement 220d.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := Checksum(Sum(0, b)); got != 0x220d {
		t.Errorf("Checksum = %#04x, want 0x220d", got)
	}
	// Summing in parts is summing the whole.
	if a, w := Sum(Sum(0, b[:4]), b[4:]), Sum(0, b); a != w {
		t.Errorf("in parts %#x, whole %#x", a, w)
	}
	// An odd last byte counts as the high byte of a word.
	if got, want := Sum(0, []byte{1, 2, 3}), uint32(0x0102+0x0300); got != want {
		t.Errorf("odd Sum = %#x, want %#x", got, want)
	}
	// An IPv4 header (from a capture) verifies: its sum with the checksum is 0xffff.
	h := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if got := Checksum(Sum(0, h)); got != 0 {
		t.Errorf("a valid header's checksum over itself = %#04x, want 0", got)
	}
	h[10], h[11] = 0, 0
	if got := Checksum(Sum(0, h)); got != 0xb861 {
		t.Errorf("IPv4 header checksum = %#04x, want 0xb861", got)
	}
}
