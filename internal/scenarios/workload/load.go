package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
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
	// Numbered sends request i to "/r/"+(FirstID+i) instead of Paths, so
	// that a Server records its arrival by id (the bench's replay lag and
	// completeness).
	Numbered bool
	FirstID  uint64
}

// LoadResult is what a load run did.
type LoadResult struct {
	Counts
	Elapsed time.Duration `json:"elapsed"`
}

// Rate is the succeeded requests per second.
func (r LoadResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Succeeded) / r.Elapsed.Seconds()
}

// FirstError is the first failure's message ("" when none failed).
func (r LoadResult) FirstError() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0]
}

// RunHTTPLoad sends the load through n (dials happen inside the sender's
// namespace) and returns what happened. It stops early when ctx ends.
// Keep-alive GETs without body or extra headers to an http:// URL go
// through a lean client (fastload.go); everything else through net/http.
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
		DisableCompression:  true, // the answers are tiny: no gzip header to send
		MaxIdleConnsPerHost: l.Connections,
		MaxConnsPerHost:     l.Connections,
		IdleConnTimeout:     30 * time.Second,
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
		sent, ok, failed atomic.Int64
		mu               sync.Mutex
		errs             []string
		wg               sync.WaitGroup
	)
	tickets := make(chan int, l.Connections)
	addr, host, fast := fastTarget(l)
	start := time.Now()
	for range l.Connections {
		wg.Go(func() {
			var fc *fastConn
			if fast {
				fc = &fastConn{n: n, addr: addr, host: host, timeout: l.Timeout}
				defer fc.close()
			}
			for i := range tickets {
				var err error
				if fc != nil {
					_, path, _ := l.requestAt(i)
					err = fc.do(ctx, path)
				} else {
					err = doRequest(ctx, client, l, i)
				}
				sent.Add(1)
				if err == nil {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				mu.Lock()
				errs = addError(errs, err)
				mu.Unlock()
			}
		})
	}
	var end time.Time
	if l.Duration > 0 {
		end = start.Add(l.Duration)
	}
	dispatch(stop, tickets, l.Rate, l.Count, start, end)
	close(tickets)
	wg.Wait()
	return LoadResult{Counts{Sent: sent.Load(), Succeeded: ok.Load(), Failed: failed.Load(), Errors: errs}, time.Since(start)}
}

// dispatch hands out request indices until stop ends or count (when > 0) is
// reached: at rate > 0 request i is due at start + i/rate, so a stall is
// caught up and the offered rate holds over the run, and none is due at or
// after end (when set: rate × duration requests, exactly); otherwise as
// fast as the connections take them.
func dispatch(stop context.Context, tickets chan<- int, rate float64, count int, start, end time.Time) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i := 0; count <= 0 || i < count; i++ {
		if rate > 0 {
			due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if !end.IsZero() && !due.Before(end) {
				return
			}
			if wait := time.Until(due); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-stop.Done():
					return
				case <-timer.C:
				}
			}
		}
		select {
		case tickets <- i:
		case <-stop.Done():
			return
		}
	}
}

// requestAt returns the method, path and body of request i of the load.
func (l HTTPLoad) requestAt(i int) (method, path, body string) {
	method, path = "GET", "/"
	if len(l.Methods) > 0 {
		method = l.Methods[i%len(l.Methods)]
	}
	switch {
	case l.Numbered:
		path = idPath + strconv.FormatUint(l.FirstID+uint64(i), 10)
	case len(l.Paths) > 0:
		path = l.Paths[i%len(l.Paths)]
	}
	if len(l.Bodies) > 0 {
		body = l.Bodies[i%len(l.Bodies)]
	}
	return method, path, body
}

func doRequest(ctx context.Context, c *http.Client, l HTTPLoad, i int) error {
	method, path, body := l.requestAt(i)
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
