package dataplane

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolValue is struct ethtool_value.
type ethtoolValue struct{ cmd, data uint32 }

// ifreqData is struct ifreq with its union holding a pointer (ifr_data).
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// txChecksum reads (set false) or sets a device's transmit checksum
// offload, `ethtool -K dev tx on|off`, in the calling thread's network
// namespace (call it inside nsrun.Run). It returns the state before.
//
// The in-kernel path switches it off on the bridge ports of its receivers:
// a copy of a packet whose checksum the instance left to the device
// (CHECKSUM_PARTIAL, what a veth carries) then has it completed by the
// kernel as the copy leaves the port (skb_checksum_help), so the receiver
// gets the checksum the wire would carry, as from the user-space path.
func txChecksum(ifname string, set, on bool) (before bool, err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Errorf("ethtool socket: %w", err)
	}
	defer unix.Close(fd)
	if len(ifname) >= unix.IFNAMSIZ {
		return false, fmt.Errorf("ethtool %s: name too long", ifname)
	}
	call := func(cmd, data uint32) (uint32, error) {
		v := ethtoolValue{cmd: cmd, data: data}
		var ifr ifreqData
		copy(ifr.name[:], ifname)
		ifr.data = unsafe.Pointer(&v)
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); e != 0 {
			return 0, e
		}
		return v.data, nil
	}
	cur, err := call(unix.ETHTOOL_GTXCSUM, 0)
	if err != nil {
		return false, fmt.Errorf("ethtool %s: read tx checksumming: %w", ifname, err)
	}
	if !set || (cur != 0) == on {
		return cur != 0, nil
	}
	var data uint32
	if on {
		data = 1
	}
	if _, err := call(unix.ETHTOOL_STXCSUM, data); err != nil {
		return cur != 0, fmt.Errorf("ethtool %s: set tx checksumming %v: %w", ifname, on, err)
	}
	return cur != 0, nil
}
