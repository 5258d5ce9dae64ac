package replay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair is a connected TCP pair on loopback: the dialled end and the
// accepted one.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func TestWithRawIOWrapsTCPOnly(t *testing.T) {
	c, _ := tcpPair(t)
	if _, ok := withRawIO(c).(*rawConn); !ok {
		t.Errorf("a TCP connection is not wrapped: %T", withRawIO(c))
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if got := withRawIO(p1); got != p1 {
		t.Errorf("a pipe (no socket) is wrapped: %T", got)
	}
}

// A write larger than the socket buffers waits for room (the EAGAIN path)
// and every byte arrives in order; a read sees the peer's bytes, then EOF.
func TestRawConnWriteReadWhole(t *testing.T) {
	c, s := tcpPair(t)
	rc := withRawIO(c)
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // let the send buffer fill
		b, _ := io.ReadAll(s)
		got <- b
	}()
	n, err := rc.Write(data)
	if err != nil || n != len(data) {
		t.Fatalf("write: %d of %d bytes, %v", n, len(data), err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("peer read %d bytes, not the %d written", len(b), len(data))
	}
	if _, err := s.Write([]byte("answer")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != "answer" {
		t.Fatalf("read %q, %v; want \"answer\" then EOF", b, err)
	}
}

// The wrapped connection's deadline bounds a raw read, and a read on a
// closed connection fails.
func TestRawConnDeadlineAndClose(t *testing.T) {
	c, _ := tcpPair(t)
	rc := withRawIO(c)
	if err := rc.SetDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var one [1]byte
	if _, err := rc.Read(one[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a deadline error", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(one[:]); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on a closed connection: %v, want net.ErrClosed", err)
	}
	if _, err := rc.Write(one[:]); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed connection: %v, want net.ErrClosed", err)
	}
}
