package vxlan

import (
	"encoding/binary"
	"errors"
)

// HeaderLen is the length of a VXLAN header in bytes.
const HeaderLen = 8

// Port is the IANA-assigned VXLAN UDP port.
const Port = 4789

// FlagI is the "VNI valid" flag of the first header byte.
const FlagI = 0x08

// MaxVNI is the largest 24-bit VNI.
const MaxVNI = 1<<24 - 1

// Errors returned by Decode. They are values, so checking them allocates
// nothing.
var (
	// ErrTruncated: fewer than HeaderLen bytes.
	ErrTruncated = errors.New("vxlan: truncated header")
	// ErrNoIFlag: the I flag is clear, so the VNI is not valid (RFC 7348
	// section 5: such a datagram is not a VXLAN datagram for us).
	ErrNoIFlag = errors.New("vxlan: I flag not set")
)

// Decode checks the VXLAN header at the start of b (a UDP payload) and
// returns the VNI and the inner Ethernet frame, which aliases b. Reserved
// bits are ignored as RFC 7348 requires of receivers.
func Decode(b []byte) (vni uint32, inner []byte, err error) {
	if len(b) < HeaderLen {
		return 0, nil, ErrTruncated
	}
	if b[0]&FlagI == 0 {
		return 0, nil, ErrNoIFlag
	}
	vni = binary.BigEndian.Uint32(b[4:8]) >> 8
	return vni, b[HeaderLen:], nil
}

// Append appends a VXLAN header for vni (flags 0x08, reserved bits zero) to
// dst and returns the extended slice.
func Append(dst []byte, vni uint32) []byte {
	v := vni & MaxVNI
	return append(dst, FlagI, 0, 0, 0, byte(v>>16), byte(v>>8), byte(v), 0)
}
