package dataplane

import (
	"reflect"
	"unsafe"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/sys/unix"
)

// VLAN tags in packet metadata.
//
// The kernel moves an 802.1Q tag out of the frame into the skb's metadata
// on receive (__netif_receive_skb_core untags before the taps) and keeps
// it there on transmit through a veth (which offloads VLAN insertion), so
// the ring shows a tagged frame untagged, with the tag in the
// tpacket3_hdr (tp_vlan_tci, tp_vlan_tpid, TP_STATUS_VLAN_VALID). AWS
// mirrors the frame the instance sent or received, tag included ("the
// mirrored packet" is the original L2 frame in VXLAN); so does the model
// (ParseFlow reads up to two tags). The capture puts the tag back before
// the packet is decided.
//
// afpacket's OptAddVLANHeader would do it, but into a new slice per
// packet, which hides the virtio_net_hdr in front of the frame in the
// ring (see ring.read); and its AncillaryVLAN carries the VLAN id only,
// not the priority bits nor the TPID. So the tag is read from the
// header itself.

// vlanTag returns the tag (TPID << 16 | TCI) the kernel keeps in the
// metadata of the frame read last, 0 if none. tpacket3Header finds the
// header; without it (another afpacket), the VLAN id afpacket reports is
// used, with TPID 802.1Q and priority 0.
func vlanTag(tp *afpacket.TPacket, anc []any) uint32 {
	if len(anc) == 0 {
		return 0 // afpacket reports TP_STATUS_VLAN_VALID as AncillaryVLAN
	}
	if h := tpacket3Header(tp); h != nil {
		if h.Status&unix.TP_STATUS_VLAN_VALID == 0 {
			return 0
		}
		tpid := uint32(h.Hv1.Vlan_tpid)
		if h.Status&unix.TP_STATUS_VLAN_TPID_VALID == 0 || tpid == 0 {
			tpid = unix.ETH_P_8021Q
		}
		return tpid<<16 | h.Hv1.Vlan_tci&0xffff
	}
	for _, a := range anc {
		if v, ok := a.(afpacket.AncillaryVLAN); ok {
			return unix.ETH_P_8021Q<<16 | uint32(v.VLAN)&0xfff
		}
	}
	return 0
}

// tpacket3Header returns the tpacket3_hdr of the packet tp returned last:
// afpacket keeps it in unexported fields (TPacket.current, a *v3wrapper
// whose packet field points into the ring), read by reflection (reading
// is allowed; nothing is written). nil if this afpacket has other fields.
func tpacket3Header(tp *afpacket.TPacket) *unix.Tpacket3Hdr {
	cur := reflect.ValueOf(tp).Elem().FieldByName("current")
	if !cur.IsValid() || cur.Kind() != reflect.Interface || cur.IsNil() {
		return nil
	}
	w := cur.Elem()
	if w.Kind() != reflect.Pointer || w.Elem().Kind() != reflect.Struct {
		return nil
	}
	pk := w.Elem().FieldByName("packet")
	if !pk.IsValid() || pk.Kind() != reflect.Pointer || pk.IsNil() ||
		pk.Type().Elem().Size() != unsafe.Sizeof(unix.Tpacket3Hdr{}) {
		return nil
	}
	return (*unix.Tpacket3Hdr)(pk.UnsafePointer())
}

// vlanHeaderLen is the size of one 802.1Q tag.
const vlanHeaderLen = 4

// insertVLAN writes frame with tag put back after the MAC addresses into
// buf and returns it; frame itself if buf is too small (then counted by
// the caller) or the frame has no MAC header.
func insertVLAN(buf, frame []byte, tag uint32) ([]byte, bool) {
	if len(frame) < 12 || len(buf) < len(frame)+vlanHeaderLen {
		return frame, false
	}
	out := buf[:len(frame)+vlanHeaderLen]
	copy(out, frame[:12])
	out[12], out[13], out[14], out[15] = byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag)
	copy(out[16:], frame[12:])
	return out, true
}
