package workload

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

// Send is a TCP, UDP or ICMP sender.
type Send struct {
	Proto      string // tcp | udp | icmp
	To         netip.Addr
	Port       int // tcp/udp destination
	SourcePort int // udp source (0: any)
	Count      int // default 1
	Size       int // payload bytes (default 64)
	Payload    string
	Rate       float64 // per second, 0: unpaced
	Timeout    time.Duration
}

// Counts are what a sender or a load did: requests or packets sent, those
// that succeeded and failed, and the first few distinct failure messages.
// For TCP a success is a completed connection that took the payload; for
// UDP a datagram written; for ICMP an echo reply received; for HTTP an
// answer with a status below 500.
type Counts struct {
	Sent      int64    `json:"sent"`
	Succeeded int64    `json:"succeeded"`
	Failed    int64    `json:"failed"`
	Errors    []string `json:"errors,omitempty"`
}

// String is the counts in a verdict's words.
func (c Counts) String() string {
	return fmt.Sprintf("sent %d, succeeded %d, failed %d", c.Sent, c.Succeeded, c.Failed)
}

func (c *Counts) fail(err error) {
	c.Failed++
	c.Errors = addError(c.Errors, err)
}

// addError appends err's message to errs unless errs has it already or
// holds five.
func addError(errs []string, err error) []string {
	if len(errs) < 5 && !slices.Contains(errs, err.Error()) {
		errs = append(errs, err.Error())
	}
	return errs
}

func (s Send) payload() []byte {
	if s.Payload != "" {
		return []byte(s.Payload)
	}
	size := cmp.Or(s.Size, 64)
	b := make([]byte, size)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// RunSend sends through n and reports what happened.
func RunSend(ctx context.Context, n Net, s Send) Counts {
	if s.Count <= 0 {
		s.Count = 1
	}
	if s.Timeout <= 0 {
		s.Timeout = 2 * time.Second
	}
	var res Counts
	var tick <-chan time.Time
	if s.Rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / s.Rate))
		defer t.Stop()
		tick = t.C
	}
	var udp net.Conn
	if s.Proto == "udp" {
		c, err := dialUDP(ctx, n, s)
		if err != nil {
			res.Sent = int64(s.Count)
			for range s.Count {
				res.fail(err)
			}
			return res
		}
		defer c.Close()
		udp = c
	}
	p := s.payload()
	for i := range s.Count {
		if i > 0 && tick != nil {
			select {
			case <-ctx.Done():
				return res
			case <-tick:
			}
		}
		if ctx.Err() != nil {
			return res
		}
		res.Sent++
		var err error
		switch s.Proto {
		case "tcp":
			err = sendTCP(ctx, n, s, p)
		case "udp":
			_, err = udp.Write(p)
		case "icmp":
			err = ping(n, s, p, i)
		default:
			err = fmt.Errorf("unknown protocol %q", s.Proto)
		}
		if err != nil {
			res.fail(err)
		} else {
			res.Succeeded++
		}
	}
	return res
}

// dialUDP opens an unconnected socket (so an ICMP port unreachable from the
// receiver does not fail the next write) that writes to the destination.
func dialUDP(_ context.Context, n Net, s Send) (net.Conn, error) {
	network := "udp4"
	if s.To.Is6() {
		network = "udp6"
	}
	pc, err := n.ListenPacket(network, ":"+strconv.Itoa(s.SourcePort))
	if err != nil {
		return nil, fmt.Errorf("udp socket (source port %d): %w", s.SourcePort, err)
	}
	return &boundUDP{PacketConn: pc, dst: net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.To, uint16(s.Port)))}, nil
}

// boundUDP writes to one destination from an unconnected socket.
type boundUDP struct {
	net.PacketConn
	dst net.Addr
}

func (b *boundUDP) Write(p []byte) (int, error) { return b.WriteTo(p, b.dst) }
func (b *boundUDP) Read(p []byte) (int, error)  { n, _, err := b.ReadFrom(p); return n, err }
func (b *boundUDP) RemoteAddr() net.Addr        { return b.dst }

func sendTCP(ctx context.Context, n Net, s Send, p []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	c, err := n.Dial(ctx, "tcp", net.JoinHostPort(s.To.String(), strconv.Itoa(s.Port)))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(s.Timeout))
	if _, err := c.Write(p); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// ping sends one ICMP echo request (type 8; to an IPv6 address, ICMPv6
// type 128) and waits for its reply (type 0; ICMPv6 129).
func ping(n Net, s Send, p []byte, seq int) error {
	network, addr, reply := "ip4:icmp", "0.0.0.0", byte(0)
	if s.To.Is6() {
		network, addr, reply = "ip6:ipv6-icmp", "::", 129
	}
	c, err := n.ListenPacket(network, addr)
	if err != nil {
		return fmt.Errorf("icmp socket: %w", err)
	}
	defer c.Close()
	const id = 0x6d6c // "ml"
	msg := echoRequest(id, uint16(seq), p)
	if s.To.Is6() {
		// ICMPv6 echo request; the kernel fills in the checksum, which
		// covers the IPv6 pseudo-header (RFC 4443).
		msg[0], msg[2], msg[3] = 128, 0, 0
	}
	dst := &net.IPAddr{IP: s.To.AsSlice()}
	if _, err := c.WriteTo(msg, dst); err != nil {
		return fmt.Errorf("icmp echo to %s: %w", s.To, err)
	}
	deadline := time.Now().Add(s.Timeout)
	_ = c.SetReadDeadline(deadline)
	buf := make([]byte, 65536)
	for {
		k, from, err := c.ReadFrom(buf)
		if err != nil {
			return fmt.Errorf("icmp echo to %s: no reply: %w", s.To, err)
		}
		b := buf[:k]
		if !s.To.Is6() && k >= 20 && b[0]>>4 == 4 { // some kernels hand the IP header too
			b = b[int(b[0]&0x0f)*4:]
		}
		if len(b) >= 8 && b[0] == reply && binary.BigEndian.Uint16(b[4:]) == id &&
			binary.BigEndian.Uint16(b[6:]) == uint16(seq) && from.String() == s.To.String() {
			return nil
		}
	}
}

// echoRequest builds an ICMP echo request message with its checksum.
func echoRequest(id, seq uint16, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	copy(b[8:], payload)
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

// checksum is the Internet checksum (RFC 1071) of b.
func checksum(b []byte) uint16 { return encap.Checksum(encap.Sum(0, b)) }
