package dataplane

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// sendTimeout bounds a send blocked on a full socket buffer, so Close never
// waits long; the queue in front absorbs (and counts) the rest.
const sendTimeout = 100 * time.Millisecond

// sendBuffer is each mirror socket's send buffer: 4 MiB for each of the
// two directions of an ENI, which share the sockets (see sender).
const sendBuffer = 2 * 4 << 20

// openRawSocket opens the routed fallback: a raw IPv4 socket taking whole
// datagrams (IP_HDRINCL), in the calling thread's network namespace.
func openRawSocket(mark uint32) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return -1, fmt.Errorf("open raw ipv4 socket: %w", err)
	}
	if err := setSendOptions(fd, "raw ipv4", mark, sockopt{"IP_HDRINCL", unix.IPPROTO_IP, unix.IP_HDRINCL, 1}); err != nil {
		return -1, err
	}
	return fd, nil
}

// openPacketSocket opens a direct socket in the calling thread's network
// namespace (a fabric): AF_PACKET, SOCK_RAW, protocol 0 so that it never
// receives, the frame's interface given per message (sockaddr_ll).
//
// PACKET_QDISC_BYPASS hands the frame straight to the driver: the bridge
// ports are veths without a queue, and it spares the frame the device
// taps, so our own captures on the fabric ends (Config.AllENIs) never see
// the copies (SO_MARK would have them dropped anyway) and a tcpdump in the
// fabric namespace does not either: capture at the target.
//
// PACKET_VNET_HDR: each frame written is preceded by a virtio_net_hdr,
// which lets the sender have it built linear (see sender).
func openPacketSocket(mark uint32) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open af_packet socket: %w", err)
	}
	if err := setSendOptions(fd, "af_packet", mark, sockopt{"PACKET_QDISC_BYPASS", unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1},
		sockopt{"PACKET_VNET_HDR", unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1}); err != nil {
		return -1, err
	}
	return fd, nil
}

type sockopt struct {
	name       string
	level, opt int
	value      int
}

// setSendOptions sets extra and what every mirror socket carries: SO_MARK
// (the captures drop what carries it), a forced send buffer and the send
// timeout. It closes fd on failure.
func setSendOptions(fd int, kind string, mark uint32, extra ...sockopt) error {
	tv := unix.NsecToTimeval(int64(sendTimeout))
	opts := append(extra,
		sockopt{"SO_MARK", unix.SOL_SOCKET, unix.SO_MARK, int(mark)},
		sockopt{"SO_SNDBUFFORCE", unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sendBuffer})
	for _, o := range opts {
		if err := unix.SetsockoptInt(fd, o.level, o.opt, o.value); err != nil {
			unix.Close(fd)
			return fmt.Errorf("set %s on %s socket: %w", o.name, kind, err)
		}
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return fmt.Errorf("set SO_SNDTIMEO on %s socket: %w", kind, err)
	}
	return nil
}
