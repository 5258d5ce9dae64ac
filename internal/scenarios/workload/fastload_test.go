package workload

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestFastTargetOnlyForPlainKeepAliveGETs(t *testing.T) {
	base := HTTPLoad{URL: "http://10.0.0.5", KeepAlive: true, Numbered: true}
	if addr, host, ok := fastTarget(base); !ok || addr != "10.0.0.5:80" || host != "10.0.0.5" {
		t.Fatalf("fastTarget(%+v) = %q %q %v", base, addr, host, ok)
	}
	for name, mod := range map[string]func(*HTTPLoad){
		"one connection per request": func(l *HTTPLoad) { l.KeepAlive = false },
		"a POST":                     func(l *HTTPLoad) { l.Methods = []string{"GET", "POST"} },
		"a body":                     func(l *HTTPLoad) { l.Bodies = []string{"x"} },
		"a header":                   func(l *HTTPLoad) { l.Headers = map[string]string{"X": "1"} },
		"https":                      func(l *HTTPLoad) { l.URL = "https://10.0.0.5" },
		"a base path":                func(l *HTTPLoad) { l.URL = "http://10.0.0.5/api" },
	} {
		l := base
		mod(&l)
		if _, _, ok := fastTarget(l); ok {
			t.Errorf("%s: the lean client took it", name)
		}
	}
}

func TestReadAnswer(t *testing.T) {
	for _, c := range []struct {
		name, in   string
		status     int
		keep       bool
		rest, fail string
	}{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\nNEXT", status: 200, keep: true, rest: "NEXT"},
		{name: "chunked with trailer", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\nNEXT",
			status: 200, keep: true, rest: "NEXT"},
		{name: "interim answers first", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nNEXT",
			status: 204, keep: true, rest: "NEXT"},
		{name: "server closes", in: "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status: 503, keep: false},
		{name: "no length: up to the end", in: "HTTP/1.0 200 OK\r\n\r\nbody to the end", status: 200, keep: false},
		{name: "HTTP/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 2\r\n\r\nokNEXT", status: 200, keep: true, rest: "NEXT"},
		{name: "a header longer than the buffer", in: "HTTP/1.1 200 OK\r\nSet-Cookie: " + strings.Repeat("c", 200) + "\r\nContent-Length: 2\r\n\r\nokNEXT",
			status: 200, keep: true, rest: "NEXT"},
		{name: "not HTTP", in: "SSH-2.0-x\r\n", fail: "malformed status line"},
		{name: "bad length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", fail: "bad Content-Length"},
		{name: "cut body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", fail: "read body"},
		{name: "bad chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", fail: "bad chunk size"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(c.in), 64) // small: answers span refills
			status, keep, err := readAnswer(r)
			if c.fail != "" {
				if err == nil || !strings.Contains(err.Error(), c.fail) {
					t.Fatalf("err %v, want %q", err, c.fail)
				}
				return
			}
			if err != nil || status != c.status || keep != c.keep {
				t.Fatalf("got %d keep=%v err=%v, want %d keep=%v", status, keep, err, c.status, c.keep)
			}
			rest, _ := r.ReadString(0)
			if rest != c.rest {
				t.Fatalf("left %q unread, want %q", rest, c.rest)
			}
		})
	}
}

// A load whose context ends stops its requests in flight at once, not
// after their timeout, and a server that closes after each answer is
// redialled.
func TestFastLoadCancelAndRedial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{}, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				line, _ := r.ReadString('\n')
				for l := line; strings.TrimSpace(l) != ""; l, _ = r.ReadString('\n') {
				}
				if strings.Contains(line, "/hang") {
					time.Sleep(10 * time.Second)
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
			}()
		}
	}()
	url := "http://" + ln.Addr().String()
	res := RunHTTPLoad(context.Background(), hostNet(), HTTPLoad{URL: url, Count: 3, KeepAlive: true})
	if res.Succeeded != 3 || len(accepted) != 3 {
		t.Fatalf("closing server: %+v, %d connections, want 3 requests on 3 connections", res, len(accepted))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	res = RunHTTPLoad(ctx, hostNet(), HTTPLoad{URL: url, Count: 1, KeepAlive: true, Paths: []string{"/hang"}, Timeout: 8 * time.Second})
	if res.Failed != 1 || time.Since(t0) > 4*time.Second {
		t.Fatalf("hanging server: %+v after %v, want a failure when the context ends", res, time.Since(t0))
	}
}
