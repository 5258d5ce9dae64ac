package sim

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openCapture opens an AF_PACKET socket on interface index ifindex of the
// fabric, with a short receive timeout.
func openCapture(t *testing.T, f *Fabric, ifindex int) int {
	t.Helper()
	var fd int
	err := f.Run(func() (err error) {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.NsecToTimeval(int64(200 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return fd
}

// countMarked drains fd and counts the frames containing each marker.
func countMarked(fd int, markers ...[]byte) []int {
	n := make([]int, len(markers))
	buf := make([]byte, 65536)
	for {
		m, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return n
		}
		for i, mk := range markers {
			if bytes.Contains(buf[:m], mk) {
				n[i]++
			}
		}
	}
}

// TestPrivilegedFabricEndSeesItsENIOnly: capturing on an ENI's fabric end
// (as the mirror data plane does) shows that ENI's traffic in both
// directions, and a neighbour's fabric end in the same subnet sees none of
// it: the bridge never floods unicast.
func TestPrivilegedFabricEndSeesItsENIOnly(t *testing.T) {
	lab := realize(t, walkthrough())
	f := lab.Fabric("vpc")
	client, prod, testsrv := lab.Instance("client"), lab.Instance("prod"), lab.Instance("testsrv")
	atClient := openCapture(t, f, client.ENIs[0].PeerIndex)
	atProd := openCapture(t, f, prod.ENIs[0].PeerIndex)

	var srv *net.UDPConn
	if err := testsrv.Run(func() (err error) {
		srv, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(testsrv.ENIs[0].IP, 7000)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	request, answer := []byte("request-from-client"), []byte("answer-from-testsrv")
	go func() {
		buf := make([]byte, 100)
		for {
			_, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				return
			}
			srv.WriteToUDP(answer, from)
		}
	}()
	const n = 5
	err := client.Run(func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(srv.LocalAddr().(*net.UDPAddr).AddrPort()))
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 100)
		for range n {
			if _, err := c.Write(request); err != nil {
				return err
			}
			if _, err := c.Read(buf); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := countMarked(atClient, request, answer); got[0] != n || got[1] != n {
		t.Errorf("client's fabric end saw %d requests and %d answers, want %d each", got[0], got[1], n)
	}
	if got := countMarked(atProd, request, answer); got[0]+got[1] != 0 {
		t.Errorf("prod's fabric end saw %v of client's datagrams, want none", got)
	}
}
