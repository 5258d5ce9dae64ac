package geneve

import (
	"encoding/binary"
	"errors"
)

// Port is the IANA-assigned GENEVE UDP port.
const Port = 6081

// HeaderLen is the fixed GENEVE header, without options.
const HeaderLen = 8

// Protocol types of the payload (EtherTypes).
const (
	ProtoIPv4     = 0x0800
	ProtoIPv6     = 0x86DD
	ProtoEthernet = 0x6558
)

// AWS's option class and the types of a Gateway Load Balancer's TLVs.
const (
	ClassAWS         = 0x0108
	TypeEndpointID   = 1
	TypeAttachmentID = 2
	TypeFlowCookie   = 3
)

// Errors returned by Decode and Header.Options. They are values, so
// checking them allocates nothing.
var (
	// ErrTruncated: fewer bytes than the header and its options.
	ErrTruncated = errors.New("geneve: truncated header")
	// ErrVersion: a version other than 0.
	ErrVersion = errors.New("geneve: unknown version")
	// ErrOption: an option runs past the options area.
	ErrOption = errors.New("geneve: malformed option")
)

// Header is a decoded GENEVE header.
type Header struct {
	// OAM and Critical are the O and C flags.
	OAM, Critical bool
	// Protocol is the payload's protocol type.
	Protocol uint16
	VNI      uint32
	// Options is the raw options area (aliases the input).
	Options []byte
}

// Decode reads the GENEVE header at the start of b (a UDP payload) and
// returns it with the payload, which aliases b.
func Decode(b []byte) (h Header, payload []byte, err error) {
	if len(b) < HeaderLen {
		return h, nil, ErrTruncated
	}
	if b[0]>>6 != 0 {
		return h, nil, ErrVersion
	}
	n := HeaderLen + int(b[0]&0x3f)*4
	if len(b) < n {
		return h, nil, ErrTruncated
	}
	h.OAM = b[1]&0x80 != 0
	h.Critical = b[1]&0x40 != 0
	h.Protocol = binary.BigEndian.Uint16(b[2:])
	h.VNI = binary.BigEndian.Uint32(b[4:]) >> 8
	h.Options = b[HeaderLen:n]
	return h, b[n:], nil
}

// Option is one TLV of the options area.
type Option struct {
	Class uint16
	Type  uint8
	Data  []byte // aliases the header
}

// NextOption returns the first option of opts and the rest; ok is false
// when opts is empty; err reports an option that does not fit.
func NextOption(opts []byte) (o Option, rest []byte, ok bool, err error) {
	if len(opts) == 0 {
		return o, nil, false, nil
	}
	if len(opts) < 4 {
		return o, nil, false, ErrOption
	}
	n := 4 + int(opts[3]&0x1f)*4
	if len(opts) < n {
		return o, nil, false, ErrOption
	}
	o = Option{Class: binary.BigEndian.Uint16(opts), Type: opts[2], Data: opts[4:n]}
	return o, opts[n:], true, nil
}

// GWLB is the metadata a Gateway Load Balancer attaches to a packet.
type GWLB struct {
	EndpointID   uint64
	AttachmentID uint64
	FlowCookie   uint32
}

// GWLB reads AWS's three TLVs from the options; ok is true when all three
// are present with their sizes (8, 8 and 4 bytes). Other options are
// skipped.
func (h *Header) GWLB() (g GWLB, ok bool, err error) {
	var seen uint8
	for opts := h.Options; ; {
		o, rest, more, err := NextOption(opts)
		if err != nil {
			return g, false, err
		}
		if !more {
			break
		}
		opts = rest
		if o.Class != ClassAWS {
			continue
		}
		switch {
		case o.Type == TypeEndpointID && len(o.Data) == 8:
			g.EndpointID, seen = binary.BigEndian.Uint64(o.Data), seen|1
		case o.Type == TypeAttachmentID && len(o.Data) == 8:
			g.AttachmentID, seen = binary.BigEndian.Uint64(o.Data), seen|2
		case o.Type == TypeFlowCookie && len(o.Data) == 4:
			g.FlowCookie, seen = binary.BigEndian.Uint32(o.Data), seen|4
		}
	}
	return g, seen == 7, nil
}
