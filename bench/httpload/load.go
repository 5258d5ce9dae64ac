package httpload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DialFunc makes a connection (inside a namespace, say).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Load sends GET /r/<id> requests to URL at Rate requests per second (0: as
// fast as Conns connections go) for Duration, over Conns keep-alive
// connections, ids counting up from FirstID.
type Load struct {
	URL      string
	Rate     float64
	Duration time.Duration
	Conns    int
	FirstID  uint64
	Dial     DialFunc
}

// LoadResult is what a Load did.
type LoadResult struct {
	Sent, OK, Failed uint64
	Elapsed          time.Duration
	// Rate is the successful requests per second.
	Rate float64
	// FirstErr is the first failure, for the report.
	FirstErr error
}

// Run runs the load and waits for every request to finish.
func (l Load) Run(ctx context.Context) (LoadResult, error) {
	if l.Conns <= 0 {
		l.Conns = 8
	}
	tr := &http.Transport{MaxIdleConnsPerHost: l.Conns, MaxConnsPerHost: l.Conns, DisableCompression: true,
		IdleConnTimeout: 30 * time.Second}
	if l.Dial != nil {
		tr.DialContext = l.Dial
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var res LoadResult
	var ok, failed atomic.Uint64
	var firstErr atomic.Pointer[error]
	tickets := make(chan uint64, l.Conns)
	var wg sync.WaitGroup
	for range l.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range tickets {
				if err := get(ctx, client, l.URL+PathPrefix+strconv.FormatUint(id, 10)); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	start := time.Now()
	deadline := start.Add(l.Duration)
	id := l.FirstID
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		if l.Rate > 0 {
			due := start.Add(time.Duration(float64(res.Sent) / l.Rate * float64(time.Second)))
			if wait := due.Sub(now); wait > 0 {
				time.Sleep(wait)
				continue
			}
		}
		select {
		case tickets <- id:
			id++
			res.Sent++
		case <-ctx.Done():
		}
	}
	close(tickets)
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.OK, res.Failed = ok.Load(), failed.Load()
	if e := firstErr.Load(); e != nil {
		res.FirstErr = *e
	}
	if res.Elapsed > 0 {
		res.Rate = float64(res.OK) / res.Elapsed.Seconds()
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

func get(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	err = errors.Join(err, resp.Body.Close())
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return err
}
