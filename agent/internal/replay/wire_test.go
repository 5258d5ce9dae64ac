package replay

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// wireDests are the destinations the differential tests render for: with
// and without a path prefix, a port, an IPv6 literal, TLS.
var wireDests = []string{"http://10.0.0.40", "http://test.example:8080/prefix/", "http://[2001:db8::1]:81/p",
	"https://secure.example", "http://h.example/"}

// netHTTPBytes is what the agent sent before wire: net/http's rendering of
// build's request.
func netHTTPBytes(rp *Replayer, c stream.Conn, r *httpparse.Request) ([]byte, bool, error) {
	req, err := rp.build(context.Background(), c, r)
	if err != nil {
		return nil, false, err
	}
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		return nil, false, err
	}
	return b.Bytes(), replayable(req), nil
}

// checkWire fails t unless wire renders r (for every destination, with
// and without the client's Host kept) byte for byte as net/http does, and
// decides the same about sending it twice. It reports whether the fast
// form rendered it.
func checkWire(t *testing.T, c stream.Conn, r *httpparse.Request) (fast bool) {
	t.Helper()
	for _, dest := range wireDests {
		for _, keep := range []bool{false, true} {
			rp, err := New(Config{Destination: dest, KeepHostHeader: keep, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			_ = rp.Close(context.Background()) // only its settings are used
			want, wantRe, wantErr := netHTTPBytes(rp, c, r)
			w := &wire{rp: rp}
			if _, _, ok := w.fastTarget(r); ok {
				fast = true
			}
			got, err := w.render(c, r)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%s keep=%v %q %q: error %v, net/http's %v", dest, keep, r.Method, r.Target, err, wantErr)
			}
			if err != nil {
				continue
			}
			if !bytes.Equal(got.bytes, want) {
				t.Fatalf("%s keep=%v: rendered\n%q\nnet/http writes\n%q", dest, keep, got.bytes, want)
			}
			if got.replayable != wantRe {
				t.Fatalf("%s %q: replayable %v, net/http's Transport %v", dest, want, got.replayable, wantRe)
			}
		}
	}
	return fast
}

func TestWireMatchesNetHTTP(t *testing.T) {
	c := conn(7, "192.0.2.9:4321")
	cases := []*httpparse.Request{
		{Method: "GET", Target: "/", Host: "shop.example"},
		{Method: "GET", Target: "/a?b=1&c", Host: "shop.example", Header: hdr("host", "shop.example", "user-agent", "curl/8", "ACCEPT", "*/*", "x-b", "2", "X-A", "1", "x-b", "3")},
		{Method: "POST", Target: "/form", Body: []byte("a=1&b=2"), Chunked: true, Header: hdr(
			"Transfer-Encoding", "chunked", "Content-Type", "application/x-www-form-urlencoded", "Trailer", "X-T")},
		{Method: "POST", Target: "/empty"}, {Method: "PUT", Target: "/e"}, {Method: "PATCH", Target: "/e"},
		{Method: "DELETE", Target: "/e"}, {Method: "HEAD", Target: "/h"}, {Method: "OPTIONS", Target: "*"},
		{Method: "DELETE", Target: "/d", Body: []byte("x")}, {Method: "Post", Target: "/case"},
		{Method: "GET", Target: "/c", Header: hdr("Connection", "keep-alive, X-Drop,, upgrade", "x-drop", "gone", "Keep-Alive", "timeout=5", "Upgrade", "h2c", "TE", "trailers", "Expect", "100-continue", "Content-Length", "0", "Proxy-Connection", "x", "X-Keep", "kept")},
		{Method: "GET", Target: "/x", Header: hdr("X-Forwarded-For", "1.1.1.1", "x-forwarded-for", "2.2.2.2", "X-Forwarded-Port", "", "X-Forwarded-Port", "99", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "orig")},
		{Method: "GET", Target: "/x", Header: hdr("X-Forwarded-For", "", "X-Forwarded-For", "3.3.3.3")},
		{Method: "GET", Target: "/ua", Header: hdr("User-Agent", "", "User-Agent", "second")},
		{Method: "GET", Target: "/ua", Header: hdr("User-Agent", " \t ")},
		{Method: "GET", Target: "/ua", Header: hdr("User-Agent", " a\r\nb ", "X-V", "\tv w\n")},
		{Method: "GET", Target: "/bad", Header: hdr("Bad Name", "v", "Good", "v", "", "empty")},
		{Method: "POST", Target: "/k", Body: []byte("{}"), Header: hdr("idempotency-key", "k1")},
		{Method: "POST", Target: "/k", Body: []byte("{}"), Header: hdr("X-Idempotency-Key", "k1")},
		{Method: "POST", Target: "/k", Header: hdr("Connection", "Idempotency-Key", "Idempotency-Key", "k")},
		{Method: "GET", Target: "//double/slash", Host: "h"},
		{Method: "GET", Target: "http://proxy.example/abs?q=2", Host: "proxy.example"},
		{Method: "CONNECT", Target: "host.example:443", Host: "host.example:443"},
		{Method: "GET", Target: "/p", Host: "bücher.example"},
		{Method: "GET", Target: "/p", Host: "[fe80::1%25eth0]:80"},
		{Method: "GET", Target: "/p", Host: "bad host/with space"},
		{Method: "GET", Target: "/ctl\x01"},
		{Method: "G(T", Target: "/bad-method"},
		{Method: "GET", Target: "noslash"},
		{Method: "GET", Target: "/big", Body: bytes.Repeat([]byte("b"), 70000)},
	}
	fast := 0
	for _, r := range cases {
		if checkWire(t, c, r) {
			fast++
		}
	}
	if fast < len(cases)/2 {
		t.Fatalf("only %d of %d cases took the fast form", fast, len(cases))
	}
}

// TestWireRandomRequests renders requests made of random pieces (names in
// any case, repeated, hop-by-hop, X-Forwarded-*, bodies) both ways.
func TestWireRandomRequests(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	names := []string{"Accept", "accept", "X-Forwarded-For", "x-forwarded-port", "X-FORWARDED-PROTO", "X-Forwarded-Host",
		"User-Agent", "Connection", "Keep-Alive", "Cookie", "cookie", "X-Custom", "Idempotency-Key", "Host", "Trailer",
		"Content-Type", "TE", "x_under", "Transfer-Encoding"}
	values := []string{"", "v", " spaced ", "a, b", "close", "x-custom, cookie", "1.2.3.4", "\tx", "keep-alive"}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get"}
	targets := []string{"/", "/a/b?c=d", "/%7E", "*", "/a b", "/x#frag"}
	for i := 0; i < 400; i++ {
		r := &httpparse.Request{Method: methods[rnd.IntN(len(methods))], Target: targets[rnd.IntN(len(targets))]}
		for n := rnd.IntN(8); n > 0; n-- {
			r.Header = append(r.Header, httpparse.Field{Name: names[rnd.IntN(len(names))], Value: values[rnd.IntN(len(values))]})
		}
		if rnd.IntN(3) == 0 {
			r.Host = []string{"h.example", "h.example:8080", "[::1]:80"}[rnd.IntN(3)]
		}
		if rnd.IntN(3) == 0 {
			r.Body = []byte(strings.Repeat("z", rnd.IntN(5000)))
		}
		client := netip.AddrPortFrom(netip.MustParseAddr([]string{"192.0.2.1", "::ffff:192.0.2.2", "2001:db8::5"}[i%3]), 1234)
		checkWire(t, stream.Conn{ID: uint64(i), Client: client, Server: netip.MustParseAddrPort("10.0.0.10:8080")}, r)
	}
}

func FuzzWire(f *testing.F) {
	f.Add("GET", "/a?b", "h.example", "X-A", "v", "Connection", "x-a", []byte(nil))
	f.Add("POST", "*", "", "user-agent", " ua ", "X-Forwarded-For", "1.1.1.1", []byte("body"))
	f.Add("PUT", "/p", "[::1]:80", "idempotency-key", "k", "X-Forwarded-Port", "", []byte{})
	f.Fuzz(func(t *testing.T, method, target, host, n1, v1, n2, v2 string, body []byte) {
		r := &httpparse.Request{Method: method, Target: target, Host: host, Body: body,
			Header: []httpparse.Field{{Name: n1, Value: v1}, {Name: n2, Value: v2}}}
		checkWire(t, conn(1, "192.0.2.1:1"), r)
	})
}

// hdr makes header fields of name, value pairs.
func hdr(kv ...string) []httpparse.Field {
	var h []httpparse.Field
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, httpparse.Field{Name: kv[i], Value: kv[i+1]})
	}
	return h
}
