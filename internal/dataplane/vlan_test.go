package dataplane

import (
	"bytes"
	"testing"
)

// TestInsertVLAN: the tag goes after the MAC addresses, the rest of the
// frame follows; a buffer too small or a frame without MACs is left.
func TestInsertVLAN(t *testing.T) {
	frame := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 0x45}
	buf := make([]byte, 64)
	got, ok := insertVLAN(buf, frame, 0x88a8<<16|0xa02a)
	want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8, 0xa0, 0x2a, 0x08, 0x00, 0x45}
	if !ok || !bytes.Equal(got, want) {
		t.Errorf("insertVLAN = % x, %v; want % x", got, ok, want)
	}
	if got, ok := insertVLAN(make([]byte, len(frame)+3), frame, 0x81000001); ok || !bytes.Equal(got, frame) {
		t.Errorf("small buffer: % x, %v; want the frame unchanged", got, ok)
	}
	if _, ok := insertVLAN(buf, frame[:10], 0x81000001); ok {
		t.Error("a frame without MAC addresses was tagged")
	}
}
