package workload

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// hostNet is Net in the test's own namespace (loopback).
func hostNet() Net {
	var d net.Dialer
	return Net{Dial: d.DialContext, Listen: net.Listen, ListenPacket: net.ListenPacket}
}

func startServer(t *testing.T, cfg ServerConfig, log *syncBuf) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer
	if log != nil {
		w = log
	}
	s := NewServer(cfg, w)
	s.Start(ln)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return s, "http://" + ln.Addr().String()
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoadAgainstServer(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(map[bool]string{true: "keep-alive", false: "one-connection-per-request"}[keep], func(t *testing.T) {
			cfg, err := ParseServerArgs([]string{"-port", "8080", "-body", "hi"})
			if err != nil {
				t.Fatal(err)
			}
			var log syncBuf
			srv, url := startServer(t, cfg, &log)
			load := HTTPLoad{
				URL: url, Count: 9, Connections: 3, KeepAlive: keep,
				Methods: []string{"GET", "POST", "PUT"}, Paths: []string{"/", "/a?x=1", "/b"},
				Bodies: []string{"", `{"k":1}`, "form=1"}, Headers: map[string]string{"X-Test": "1"},
			}
			res := RunHTTPLoad(context.Background(), hostNet(), load)
			if res.Sent != 9 || res.Succeeded != 9 || res.Failed != 0 {
				t.Fatalf("result %+v, want 9 sent and succeeded", res)
			}
			got := srv.Requests()
			if len(got) != 9 {
				t.Fatalf("server got %d requests, want 9", len(got))
			}
			// what the load says it sent is what the server recorded
			var want []Request
			for i := range 9 {
				m, p, b := load.requestAt(i)
				want = append(want, Request{Method: m, Path: p, Body: b})
			}
			if c := CompareRequests(want, got); c.Matched != 9 || c.UnexpectedN != 0 {
				t.Fatalf("comparison %+v", c)
			}
			if n := strings.Count(log.String(), "\n"); n != 9 {
				t.Fatalf("server logged %d lines, want 9:\n%s", n, log.String())
			}
			if !strings.Contains(log.String(), `POST "/a?x=1"`) {
				t.Fatalf("log lacks the POST line:\n%s", log.String())
			}
		})
	}
}

func TestLoadDurationAndRate(t *testing.T) {
	cfg, _ := ParseServerArgs(nil)
	srv, url := startServer(t, cfg, nil)
	res := RunHTTPLoad(context.Background(), hostNet(), HTTPLoad{URL: url, Rate: 40, Duration: 300 * time.Millisecond, KeepAlive: true})
	if res.Failed != 0 || res.Succeeded == 0 {
		t.Fatalf("result %+v", res)
	}
	// paced at 40/s for 0.3 s: never more than a handful
	if res.Sent > 20 {
		t.Fatalf("sent %d in 300ms at 40/s: pacing not applied", res.Sent)
	}
	if int64(len(srv.Requests())) != res.Succeeded {
		t.Fatalf("server got %d, load says %d succeeded", len(srv.Requests()), res.Succeeded)
	}
}

func TestLoadFailuresAreCounted(t *testing.T) {
	cfg, _ := ParseServerArgs([]string{"-status", "503"})
	_, url := startServer(t, cfg, nil)
	res := RunHTTPLoad(context.Background(), hostNet(), HTTPLoad{URL: url, Count: 3, KeepAlive: true})
	if res.Failed != 3 || res.Succeeded != 0 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "503") {
		t.Fatalf("result %+v, want 3 failures with status 503", res)
	}
	// nothing listens here
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	res = RunHTTPLoad(context.Background(), hostNet(), HTTPLoad{URL: "http://" + addr, Count: 2})
	if res.Failed != 2 {
		t.Fatalf("result %+v, want 2 failures", res)
	}
}

func TestParseServerArgs(t *testing.T) {
	for _, bad := range [][]string{{"-port", "0"}, {"-port", "x"}, {"-nope"}, {"extra"}, {"-status", "42"}} {
		if _, err := ParseServerArgs(bad); err == nil {
			t.Errorf("ParseServerArgs(%q) accepted", bad)
		}
	}
	c, err := ParseServerArgs(nil)
	if err != nil || c.Port != 80 || c.Status != 200 {
		t.Fatalf("defaults %+v, %v", c, err)
	}
}

func TestCompareRequests(t *testing.T) {
	r := func(m, p, b string) Request { return Request{Method: m, Path: p, Body: b} }
	prod := []Request{r("GET", "/", ""), r("GET", "/", ""), r("POST", "/x", "a"), r("GET", "/y", "")}
	test := []Request{r("GET", "/", ""), r("POST", "/x", "a"), r("POST", "/x", "b")}
	c := CompareRequests(prod, test)
	if c.Matched != 2 || c.MissingN != 2 || c.UnexpectedN != 1 || c.Unexpected[0].Body != "b" {
		t.Fatalf("comparison %+v", c)
	}
	if got := c.Completeness(); got != 0.5 {
		t.Fatalf("completeness %v, want 0.5", got)
	}
}

func TestSendTCPAndUDP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan int, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(c)
			c.Close()
			got <- b.Len()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	lo := netip.MustParseAddr("127.0.0.1")
	res := RunSend(context.Background(), hostNet(), Send{Proto: "tcp", To: lo, Port: port, Count: 3, Size: 100})
	if res.Succeeded != 3 {
		t.Fatalf("tcp %+v", res)
	}
	for range 3 {
		if n := <-got; n != 100 {
			t.Fatalf("server read %d bytes, want 100", n)
		}
	}

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	uport := pc.LocalAddr().(*net.UDPAddr).Port
	res = RunSend(context.Background(), hostNet(), Send{Proto: "udp", To: lo, Port: uport, Count: 2, Payload: "hello"})
	if res.Succeeded != 2 {
		t.Fatalf("udp %+v", res)
	}
	buf := make([]byte, 100)
	_ = pc.SetReadDeadline(time.Now().Add(2 * time.Second))
	for range 2 {
		n, _, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("udp read %q, %v", buf[:n], err)
		}
	}
}

func TestEchoRequestChecksum(t *testing.T) {
	// An echo request with id 1, seq 1 and payload "abcd": one's complement
	// of 0x0800+0x0001+0x0001+0x6162+0x6364 = 0xccc8 is 0x3337; the checksum
	// of a message that holds its own checksum is zero.
	m := echoRequest(1, 1, []byte("abcd"))
	want := []byte{8, 0, 0x33, 0x37, 0, 1, 0, 1, 'a', 'b', 'c', 'd'}
	if !bytes.Equal(m, want) {
		t.Fatalf("echo request % x, want % x", m, want)
	}
	if checksum(m) != 0 {
		t.Fatalf("checksum over the message is %#x, want 0", checksum(m))
	}
}

func TestSink(t *testing.T) {
	if _, err := ParseSinkArgs([]string{"-port", "70000"}); err == nil {
		t.Fatal("port 70000 accepted")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := StartSink(pc)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	res := RunSend(context.Background(), hostNet(), Send{Proto: "udp", To: netip.MustParseAddr("127.0.0.1"), Port: port, Count: 5, Size: 10})
	if res.Succeeded != 5 {
		t.Fatalf("send %+v", res)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if p, b := s.Counts(); p == 5 && b == 50 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p, b := s.Counts(); p != 5 || b != 50 {
		t.Fatalf("sink counted %d packets %d bytes, want 5 and 50", p, b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadFramesPcapAndPcapng(t *testing.T) {
	frames := [][]byte{bytes.Repeat([]byte{1}, 60), bytes.Repeat([]byte{2}, 100)}
	ci := func(b []byte) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(b), Length: len(b)}
	}
	var pcap, ng bytes.Buffer
	w := pcapgo.NewWriter(&pcap)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	nw, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		if err := w.WritePacket(ci(fr), fr); err != nil {
			t.Fatal(err)
		}
		if err := nw.WritePacket(ci(fr), fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"a.pcap": pcap.Bytes(), "a.pcapng": ng.Bytes()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		if err := ReadFrames(path, func(b []byte) error { got = append(got, bytes.Clone(b)); return nil }); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != 2 || !bytes.Equal(got[0], frames[0]) || !bytes.Equal(got[1], frames[1]) {
			t.Fatalf("%s: read %d frames, want the 2 written", name, len(got))
		}
	}
	if err := ReadFrames(filepath.Join(dir, "missing"), func([]byte) error { return nil }); err == nil {
		t.Fatal("missing file read")
	}
}
