package gen

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// LinkCounters are an interface's packet counters.
type LinkCounters struct {
	RxPackets, TxPackets, RxDropped, TxDropped uint64
}

// ReadLink reads the counters of the interface named ifname in ns (like
// `ip -n NS -s link show IFNAME`).
func ReadLink(ns netns.NsHandle, ifname string) (LinkCounters, error) {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return LinkCounters{}, fmt.Errorf("netlink handle: %w", err)
	}
	defer h.Close()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return LinkCounters{}, fmt.Errorf("interface %s: %w", ifname, err)
	}
	s := l.Attrs().Statistics
	if s == nil {
		return LinkCounters{}, fmt.Errorf("interface %s: no statistics", ifname)
	}
	return LinkCounters{s.RxPackets, s.TxPackets, s.RxDropped, s.TxDropped}, nil
}

// ProcessCPU is this process's CPU time (user+system) from getrusage.
func ProcessCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// MachineCPU is the busy CPU time of the whole machine (all CPUs, every
// state but idle and iowait) from /proc/stat.
func MachineCPU() (time.Duration, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, fmt.Errorf("read /proc/stat: empty")
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat line 1: unexpected %q", sc.Text())
	}
	var busy uint64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 7 { // guest times are already in user
			break
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat line 1 field %d: %w", i+2, err)
		}
		busy += v
	}
	// USER_HZ is 100 on every Linux the bench runs on.
	return time.Duration(busy) * 10 * time.Millisecond, nil
}
