package sim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// readyTimeout bounds how long Realize waits for the links to carry traffic.
const readyTimeout = 10 * time.Second

// awaitNew returns once every new ENI (enis) answers an ICMP echo
// from its subnet's router. A new veth carries nothing until the kernel's
// link-watch work has activated its queue and told the bridge the port is
// up, which happens asynchronously and, on a busy machine, late; the probe
// proves the whole path (router, bridge port, both veth ends, the instance)
// so that traffic flows as soon as Grow returns. The probes happen before
// anyone can capture at the new ENIs.
//
// The links of new peerings and transit gateways are fresh veths too: each is
// proven by an echo from one VPC's router to an ENI of the VPC at its
// other end (for a transit gateway, from another attached VPC), whose
// reply comes back the same way.
func (l *Lab) awaitNew(ctx context.Context, enis []*ENI, g *growth) error {
	byVPC := map[string][]*ENI{}
	for _, e := range enis {
		byVPC[e.VPC] = append(byVPC[e.VPC], e)
	}
	for _, f := range l.Fabrics() {
		if len(byVPC[f.VPC]) == 0 {
			continue
		}
		if err := l.run(&f.ns, func() error { return probe(ctx, byVPC[f.VPC]) }); err != nil {
			return fmt.Errorf("vpc %s: %w", f.VPC, err)
		}
	}
	for _, p := range g.peerings {
		for k := range 2 {
			if err := l.probeAcross(ctx, l.Fabric(p.VPCs[k]), l.Fabric(p.VPCs[1-k])); err != nil {
				return fmt.Errorf("peering %s: %w", p.Name, err)
			}
		}
	}
	for _, g := range g.transits {
		for i, v := range g.VPCs {
			from := l.Fabric(g.VPCs[(i+1)%len(g.VPCs)])
			if len(g.VPCs) < 2 || from.VPC == v {
				continue
			}
			if err := l.probeAcross(ctx, from, l.Fabric(v)); err != nil {
				return fmt.Errorf("transit gateway %s: %w", g.Name, err)
			}
		}
	}
	return nil
}

func (l *Lab) probeAcross(ctx context.Context, from, to *Fabric) error {
	if len(to.ENIs()) == 0 || len(from.Bridges) == 0 {
		return nil
	}
	if err := l.run(&from.ns, func() error { return probe(ctx, to.ENIs()[:1]) }); err != nil {
		return fmt.Errorf("vpc %s to vpc %s: %w", from.VPC, to.VPC, err)
	}
	return nil
}

const probeID = 0x6d6c // "ml"

func probe(ctx context.Context, enis []*ENI) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return fmt.Errorf("readiness probe: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(5 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("readiness probe: %w", err)
	}
	pending := make(map[uint16]*ENI, len(enis))
	for i, e := range enis {
		pending[uint16(i+1)] = e
	}
	msg := make([]byte, 8)
	buf := make([]byte, 1500)
	deadline := time.Now().Add(readyTimeout)
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			var names []string
			for _, e := range pending {
				names = append(names, e.Instance+"/"+e.Name+" ("+e.IP.String()+")")
			}
			return fmt.Errorf("no traffic through %s after %v", strings.Join(names, ", "), readyTimeout)
		}
		for seq, e := range pending {
			echoRequest(msg, seq)
			err := unix.Sendto(fd, msg, 0, &unix.SockaddrInet4{Addr: e.IP.As4()})
			if err != nil && !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, unix.EAGAIN) {
				return fmt.Errorf("readiness probe to %s: %w", e.IP, err)
			}
		}
		// Collect replies until the socket stays quiet for a while.
		for len(pending) > 0 {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				break // timeout: send again to whoever has not answered
			}
			ihl := int(buf[0]&0x0f) * 4
			if n < ihl+8 || buf[ihl] != 0 || binary.BigEndian.Uint16(buf[ihl+4:]) != probeID {
				continue
			}
			seq := binary.BigEndian.Uint16(buf[ihl+6:])
			if e, ok := pending[seq]; ok && [4]byte(buf[12:16]) == e.IP.As4() {
				delete(pending, seq)
			}
		}
	}
	return nil
}

// echoRequest fills an 8-byte ICMP echo request.
func echoRequest(b []byte, seq uint16) {
	b[0], b[1] = 8, 0
	binary.BigEndian.PutUint16(b[2:], 0)
	binary.BigEndian.PutUint16(b[4:], probeID)
	binary.BigEndian.PutUint16(b[6:], seq)
	var s uint32
	for i := 0; i < 8; i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	binary.BigEndian.PutUint16(b[2:], ^uint16(s))
}
