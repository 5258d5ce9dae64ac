package stream

import (
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/mirrorlab/mirrorlab/agent/internal/frame"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

type respLog struct{ out []string }

func (r *respLog) Response(c Conn, x *httpparse.Response, at time.Time) {
	line := fmt.Sprintf("%s seq=%d %s %d %q incomplete=%v", c.Client, x.Seq, x.Method, x.Status, x.Body, x.Incomplete)
	if x.BodyCut {
		line += fmt.Sprintf(" cut (%d bytes)", x.BodyLen)
	}
	r.out = append(r.out, line)
}

func (r *respLog) Unanswered(c Conn, seq uint64, l httpparse.Loss) {
	r.out = append(r.out, fmt.Sprintf("%s seq=%d lost %s", c.Client, seq, l))
}

// serverPacket builds a packet from 10.0.0.10:80 to 10.0.1.5:dport.
func serverPacket(t testing.TB, dport uint16, s seg, synAck bool) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IPv4(10, 0, 0, 10), DstIP: net.IPv4(10, 0, 1, 5)}
	tcp := &layers.TCP{SrcPort: 80, DstPort: layers.TCPPort(dport), Seq: s.seq, SYN: synAck, FIN: s.fin,
		ACK: true, Ack: 1, Window: 65535}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip, tcp, gopacket.Payload(s.payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (h *harness) packet(b []byte) {
	h.t.Helper()
	var in frame.Inner
	if in.DecodeIP(b) != frame.OK || in.DecodeTCP() != frame.OK {
		h.t.Fatal("decode")
	}
	h.now = h.now.Add(time.Millisecond)
	h.shard.Packet(&in, 7, h.now)
}

func TestResponsesPairedWithRequests(t *testing.T) {
	for _, midStart := range []bool{false, true} {
		t.Run(fmt.Sprintf("server-first=%v", midStart), func(t *testing.T) {
			log := &respLog{}
			h := newHarness(t, Config{Responses: log, ServerPort: func(p uint16) bool { return p == 80 }})
			reqs := "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
			resps := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
			if midStart {
				// The agent joins as the server sends the tail of an earlier
				// response: that connection's responses are not paired.
				h.packet(serverPacket(t, 40000, seg{seq: 4000, payload: []byte("tail")}, false))
				h.packet(ipPacket(t, 40000, seg{seq: 1001, payload: []byte(reqs)}))
				h.packet(serverPacket(t, 40000, seg{seq: 4004, payload: []byte(resps)}, false))
				want := []string{"10.0.1.5:40000 seq=1 lost mid_stream", "10.0.1.5:40000 seq=2 lost mid_stream"}
				if !reflect.DeepEqual(log.out, want) || len(h.got) != 2 {
					t.Fatalf("got %q (requests %q)", log.out, h.got)
				}
				return
			}
			h.packet(ipPacket(t, 40000, seg{seq: 1000, syn: true}))
			h.packet(serverPacket(t, 40000, seg{seq: 5000}, true))
			h.packet(ipPacket(t, 40000, seg{seq: 1001, payload: []byte(reqs)}))
			h.packet(serverPacket(t, 40000, seg{seq: 5001, payload: []byte(resps[:20])}, false))
			h.packet(serverPacket(t, 40000, seg{seq: 5021, payload: []byte(resps[20:])}, false))
			want := []string{`10.0.1.5:40000 seq=1 GET 200 "hi" incomplete=false`, `10.0.1.5:40000 seq=2 HEAD 200 "" incomplete=false`}
			if !reflect.DeepEqual(log.out, want) {
				t.Fatalf("got %q", log.out)
			}
			if s := h.c.Snapshot(); s.Streams.BufferedBytes != 0 {
				t.Fatalf("buffered %d after complete responses", s.Streams.BufferedBytes)
			}
		})
	}
}

// ResponseBody caps what is kept of a response body (the agent sets it to
// -compare-body, the cap of the test's side), apart from the requests'
// limit: the rest is counted, and the response is marked cut.
func TestResponseBodyKeptUpToItsCap(t *testing.T) {
	log := &respLog{}
	h := newHarness(t, Config{Responses: log, ResponseBody: 4, Limits: httpparse.Limits{MaxBody: 1 << 20}})
	h.packet(ipPacket(t, 40000, seg{seq: 1000, syn: true}))
	h.packet(serverPacket(t, 40000, seg{seq: 5000}, true))
	h.packet(ipPacket(t, 40000, seg{seq: 1001, payload: []byte("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789")}))
	h.packet(serverPacket(t, 40000, seg{seq: 5001, payload: []byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcdefghij")}, false))
	want := []string{`10.0.1.5:40000 seq=1 POST 200 "abcd" incomplete=false cut (10 bytes)`}
	if !reflect.DeepEqual(log.out, want) || len(h.got) != 1 {
		t.Fatalf("got %q (requests %q)", log.out, h.got)
	}
}
