package httpload

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func listen(t *testing.T) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := Serve(ln)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestLoadReachesServerAndReplayFiguresAddUp(t *testing.T) {
	prod, dst := listen(t), listen(t)
	ctx := context.Background()
	res, err := Load{URL: "http://" + prod.Addr().String(), Rate: 500, Duration: 200 * time.Millisecond, Conns: 4, FirstID: 1000}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 50 || res.OK != res.Sent || res.Failed != 0 || prod.Total() != res.OK {
		t.Fatalf("load %+v, production saw %d", res, prod.Total())
	}
	// Replay only the even ids, 5 ms late.
	arr := prod.Arrivals()
	time.Sleep(5 * time.Millisecond)
	var even uint64
	for id := range arr {
		if id%2 == 0 {
			even++
			if err := get(ctx, http.DefaultClient, "http://"+dst.Addr().String()+PathPrefix+strconv.FormatUint(id, 10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := CompareArrivals(arr, dst.Arrivals())
	if r.Served != res.OK || r.Replayed != even {
		t.Fatalf("replay %+v, want served %d replayed %d", r, res.OK, even)
	}
	if want := float64(even) / float64(res.OK); r.Completeness != want {
		t.Fatalf("completeness %v, want %v", r.Completeness, want)
	}
	if r.LagP50 < 5*time.Millisecond || r.LagP99 < r.LagP50 {
		t.Fatalf("lags p50 %v p99 %v, want >= 5ms and ordered", r.LagP50, r.LagP99)
	}
}

func TestLoadCountsFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res, err := Load{URL: "http://" + addr, Rate: 100, Duration: 50 * time.Millisecond, Conns: 2}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed == 0 || res.OK != 0 || res.FirstErr == nil {
		t.Fatalf("load to a closed port: %+v", res)
	}
}
