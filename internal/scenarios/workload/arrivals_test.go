package workload

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestNumberedLoadArrivalsAndReplayFiguresAddUp(t *testing.T) {
	prod, prodURL := startServer(t, DefaultServerConfig(), nil)
	dst, dstURL := startServer(t, DefaultServerConfig(), nil)
	ctx := context.Background()
	res := RunHTTPLoad(ctx, hostNet(), HTTPLoad{URL: prodURL, Rate: 500, Duration: 200 * time.Millisecond,
		Connections: 4, KeepAlive: true, Numbered: true, FirstID: 1000})
	arr := prod.Arrivals()
	if res.Sent > 100 {
		t.Fatalf("sent %d at 500/s over 200 ms: more than rate × duration (100)", res.Sent)
	}
	if res.Sent < 50 || res.Succeeded != res.Sent || res.Failed != 0 || int64(len(arr)) != res.Succeeded {
		t.Fatalf("load %+v, production saw %d ids", res, len(arr))
	}
	for id := range arr {
		if id < 1000 || id >= 1000+uint64(res.Sent) {
			t.Fatalf("id %d outside [1000, %d)", id, 1000+res.Sent)
		}
	}
	// Replay only the even ids, 5 ms late.
	time.Sleep(5 * time.Millisecond)
	var even uint64
	for id := range arr {
		if id%2 == 0 {
			even++
			resp, err := http.Get(dstURL + idPath + strconv.FormatUint(id, 10))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	r := CompareArrivals(arr, dst.Arrivals())
	if r.Served != uint64(res.Succeeded) || r.Replayed != even {
		t.Fatalf("replay %+v, want served %d replayed %d", r, res.Succeeded, even)
	}
	if want := float64(even) / float64(res.Succeeded); r.Completeness != want {
		t.Fatalf("completeness %v, want %v", r.Completeness, want)
	}
	if r.LagP50 < 5*time.Millisecond || r.LagP99 < r.LagP50 {
		t.Fatalf("lags p50 %v p99 %v, want >= 5ms and ordered", r.LagP50, r.LagP99)
	}
	prod.Reset()
	if len(prod.Arrivals()) != 0 || len(prod.Requests()) != 0 {
		t.Fatal("Reset kept requests")
	}
}
