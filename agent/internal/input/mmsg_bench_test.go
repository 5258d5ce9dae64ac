package input

import (
	"net"
	"testing"

	"golang.org/x/net/ipv4"
)

// benchBurst is the datagrams sent, then read, per op.
const benchBurst = 16

// benchSockets returns a listening UDP socket and a socket sending to it.
func benchSockets(b *testing.B) (*net.UDPConn, net.Conn) {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pc.Close() })
	c, err := net.Dial("udp4", pc.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return pc, c
}

// benchRead sends benchBurst datagrams per op and waits until a reader
// goroutine, started by start with a function to call per datagram read,
// has read them.
func benchRead(b *testing.B, c net.Conn, start func(got func())) {
	read := make(chan struct{}, benchBurst)
	start(func() { read <- struct{}{} })
	msg := make([]byte, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < benchBurst; j++ {
			if _, err := c.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		for j := 0; j < benchBurst; j++ {
			<-read
		}
	}
}

// BenchmarkUDPRead compares our recvmmsg reader with golang.org/x/net's
// ReadBatch (which the UDP input used before) on bursts of datagrams:
// one op is a burst of 16 sent and read; allocs/op is the readers'.
func BenchmarkUDPRead(b *testing.B) {
	b.Run("mmsgReader", func(b *testing.B) {
		pc, c := benchSockets(b)
		rc, err := pc.SyscallConn()
		if err != nil {
			b.Fatal(err)
		}
		r := newMmsgReader(rc, 64, maxDatagram)
		benchRead(b, c, func(got func()) {
			go func() {
				_ = r.Run(func(n int) {
					for i := 0; i < n; i++ {
						got()
					}
				})
			}()
		})
	})
	b.Run("x-net-ReadBatch", func(b *testing.B) {
		pc, c := benchSockets(b)
		br := ipv4.NewPacketConn(pc)
		ms := make([]ipv4.Message, 64)
		for i := range ms {
			ms[i].Buffers = [][]byte{make([]byte, maxDatagram)}
			ms[i].OOB = make([]byte, oobLen)
		}
		benchRead(b, c, func(got func()) {
			go func() {
				for {
					n, err := br.ReadBatch(ms, 0)
					if err != nil {
						return
					}
					for i := 0; i < n; i++ {
						got()
					}
				}
			}()
		})
	})
}
