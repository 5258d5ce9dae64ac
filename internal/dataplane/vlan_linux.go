package dataplane

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
// The ring's reader (tpRing.vlanTag) reads the tag, priority bits and
// TPID included, from the packet's tpacket3_hdr.

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
