package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// HTTPLoad is the built-in HTTP client load.
type HTTPLoad struct {
	URL string // base URL: http://10.0.0.5:80
	// Rate in requests per second over all connections (0: unpaced).
	Rate float64
	// Duration and Count bound the load; both zero means 20 requests.
	Duration time.Duration
	Count    int
	// Paths, Methods and Bodies are cycled: request i takes element
	// i mod len of each (defaults "/", "GET", no body).
	Paths   []string
	Methods []string
	Bodies  []string
	Headers map[string]string
	// KeepAlive reuses connections; false opens one per request.
	KeepAlive   bool
	Connections int           // concurrent clients (default 1)
	Timeout     time.Duration // per request (default 5s)
}

// LoadResult is what a load run did.
type LoadResult struct {
	Sent      int64 `json:"sent"`
	Succeeded int64 `json:"succeeded"` // answered with status < 500
	Failed    int64 `json:"failed"`
	// Errors holds the first few distinct failure messages.
	Errors  []string      `json:"errors,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// RunHTTPLoad sends the load through n (dials happen inside the sender's
// namespace) and returns what happened. It stops early when ctx ends.
func RunHTTPLoad(ctx context.Context, n Net, l HTTPLoad) LoadResult {
	if l.Count == 0 && l.Duration == 0 {
		l.Count = 20
	}
	if l.Connections <= 0 {
		l.Connections = 1
	}
	if l.Timeout <= 0 {
		l.Timeout = 5 * time.Second
	}
	tr := &http.Transport{
		DialContext:         n.Dial,
		DisableKeepAlives:   !l.KeepAlive,
		MaxIdleConnsPerHost: l.Connections,
		MaxConnsPerHost:     l.Connections,
		Proxy:               nil, // never a proxy: traffic stays in the lab
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: l.Timeout}

	// stop ends the sending; requests in flight finish under ctx.
	stop := ctx
	if l.Duration > 0 {
		var cancel context.CancelFunc
		stop, cancel = context.WithTimeout(ctx, l.Duration)
		defer cancel()
	}
	var (
		next   atomic.Int64 // index of the next request
		res    LoadResult
		mu     sync.Mutex
		wg     sync.WaitGroup
		ticker <-chan time.Time
	)
	if l.Rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / l.Rate))
		defer t.Stop()
		ticker = t.C
	}
	start := time.Now()
	for range l.Connections {
		wg.Go(func() {
			for {
				if ticker != nil {
					select {
					case <-stop.Done():
						return
					case <-ticker:
					}
				} else if stop.Err() != nil {
					return
				}
				i := next.Add(1) - 1
				if l.Count > 0 && i >= int64(l.Count) {
					return
				}
				err := doRequest(ctx, client, l, int(i))
				mu.Lock()
				res.Sent++
				if err != nil {
					res.Failed++
					if len(res.Errors) < 5 && !contains(res.Errors, err.Error()) {
						res.Errors = append(res.Errors, err.Error())
					}
				} else {
					res.Succeeded++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

// RequestAt returns the method, path and body of request i of the load.
func (l HTTPLoad) RequestAt(i int) (method, path, body string) {
	method, path = "GET", "/"
	if len(l.Methods) > 0 {
		method = l.Methods[i%len(l.Methods)]
	}
	if len(l.Paths) > 0 {
		path = l.Paths[i%len(l.Paths)]
	}
	if len(l.Bodies) > 0 {
		body = l.Bodies[i%len(l.Bodies)]
	}
	return method, path, body
}

func doRequest(ctx context.Context, c *http.Client, l HTTPLoad, i int) error {
	method, path, body := l.RequestAt(i)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(l.URL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	for k, v := range l.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%s %s: timeout", method, path)
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s %s: status %s", method, path, resp.Status)
	}
	return nil
}
