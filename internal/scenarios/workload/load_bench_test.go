package workload

import (
	"bufio"
	"context"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHTTPLoadClient measures the built-in HTTP load's own cost per
// request (the bench's load generator), the lean client against net/http:
// a numbered keep-alive load over 8 connections on loopback against a
// canned responder that does almost nothing, so that cpu-ns/op (this
// process's CPU per request) is mostly the client's, plus the loopback's.
func BenchmarkHTTPLoadClient(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	const answer = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n"
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.TrimRight(line, "\r\n") == "" {
						if _, err := c.Write([]byte(answer)); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	for _, c := range []struct {
		name    string
		headers map[string]string
	}{{"lean", nil}, {"net-http", map[string]string{"X-Bench": "1"}}} { // a header: not for the lean client
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			res := RunHTTPLoad(context.Background(), hostNet(), HTTPLoad{URL: "http://" + ln.Addr().String(), Count: b.N,
				Connections: 8, KeepAlive: true, Numbered: true, FirstID: 1, Timeout: 5 * time.Second, Headers: c.headers})
			b.StopTimer()
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			if res.Failed > 0 {
				b.Fatalf("%d requests failed: %v", res.Failed, res.Errors)
			}
		})
	}
}

// processCPU is this process's CPU time (user + system).
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
