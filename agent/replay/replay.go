package replay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/mirrorlab/mirrorlab/agent/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/metrics"
	"github.com/mirrorlab/mirrorlab/agent/stream"
)

type job struct {
	conn stream.Conn
	req  *httpparse.Request
	cost int64 // charged to the budget until the replay is done
}

// jobCost is what a request costs while it waits and is replayed: itself,
// and the headers of the request built from it.
func jobCost(r *httpparse.Request) int64 {
	return int64(r.MemSize() + (r.MemSize() - cap(r.Body)))
}

// Replayer replays requests. Submit may be called from several goroutines;
// Close once, after the last Submit.
type Replayer struct {
	cfg  Config
	dest *url.URL
	base string // destination without a trailing slash
	// destPath is the destination's path prefix without a trailing slash.
	destPath string
	client   *http.Client
	limiter  *rate.Limiter
	queues   []chan job
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.RWMutex // Submit (read) against Close (write)
	closed   bool
	// failLog limits error logs to one per second.
	failLog atomic.Int64
}

// New validates cfg and starts the workers.
func New(cfg Config) (*Replayer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dest, _ := url.Parse(cfg.Destination)
	tr := &http.Transport{
		Proxy:                 nil, // never send replays through an environment proxy
		DialContext:           cfg.DialContext,
		MaxIdleConns:          cfg.Workers,
		MaxIdleConnsPerHost:   cfg.Workers,
		MaxConnsPerHost:       cfg.Workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		DisableCompression:    true,                                                    // do not add Accept-Encoding
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify}, //nolint:gosec // opt-in flag
	}
	rp := &Replayer{
		cfg:      cfg,
		dest:     dest,
		base:     strings.TrimSuffix(dest.String(), "/"),
		destPath: strings.TrimSuffix(dest.EscapedPath(), "/"),
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // replay exactly one request
			},
		},
	}
	if cfg.RateLimit > 0 {
		rp.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.Burst)
	}
	rp.ctx, rp.cancel = context.WithCancel(context.Background())
	per := max(1, cfg.QueueSize/cfg.Workers)
	rp.queues = make([]chan job, cfg.Workers)
	for i := range rp.queues {
		rp.queues[i] = make(chan job, per)
		rp.wg.Add(1)
		go rp.worker(rp.queues[i])
	}
	return rp, nil
}

// Submit queues r (from connection c) for replay unless sampled out; it
// never blocks: a full queue drops the request (counted).
func (rp *Replayer) Submit(c stream.Conn, r *httpparse.Request) {
	cnt := rp.cfg.Counters
	if !Sampled(rp.cfg.Percentage, rp.cfg.PercentageBy, rp.cfg.PercentageByHeader, c, r) {
		cnt.RequestsSampledOut.Add(1)
		return
	}
	rp.mu.RLock()
	defer rp.mu.RUnlock()
	if rp.closed {
		cnt.RequestDrops[metrics.DropShutdown].Add(1)
		return
	}
	cost := jobCost(r)
	if !rp.cfg.Budget.TryCharge(cost) {
		cnt.RequestDrops[metrics.DropMemory].Add(1)
		return
	}
	q := rp.queues[c.ID%uint64(len(rp.queues))]
	select {
	case q <- job{conn: c, req: r, cost: cost}:
		cnt.ReplayQueued.Add(1)
	default:
		rp.cfg.Budget.Release(cost)
		cnt.RequestDrops[metrics.DropQueueFull].Add(1)
	}
}

func (rp *Replayer) worker(q chan job) {
	defer rp.wg.Done()
	for j := range q {
		rp.cfg.Counters.ReplayQueued.Add(-1)
		if rp.ctx.Err() != nil {
			rp.cfg.Counters.RequestDrops[metrics.DropShutdown].Add(1)
		} else {
			rp.replay(j)
		}
		rp.cfg.Budget.Release(j.cost)
	}
}

func (rp *Replayer) replay(j job) {
	cnt := rp.cfg.Counters
	if rp.limiter != nil {
		if err := rp.limiter.Wait(rp.ctx); err != nil {
			cnt.RequestDrops[metrics.DropShutdown].Add(1)
			return
		}
	}
	req, err := rp.build(rp.ctx, j.conn, j.req)
	if err != nil {
		cnt.ReplayFailed.Add(1)
		rp.logFailure("build request", j, err)
		return
	}
	start := time.Now()
	resp, err := rp.client.Do(req)
	if err != nil {
		if rp.ctx.Err() != nil {
			cnt.RequestDrops[metrics.DropShutdown].Add(1)
			return
		}
		cnt.ReplayFailed.Add(1)
		rp.logFailure("replay", j, err)
		return
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, rp.cfg.MaxResponseDrain))
	_ = resp.Body.Close() // the response is discarded; a close error changes nothing
	cnt.Latency.Observe(time.Since(start))
	cnt.ReplayStatus[metrics.StatusClass(resp.StatusCode)].Add(1)
	cnt.Replayed.Add(1)
	_ = n
}

func (rp *Replayer) logFailure(what string, j job, err error) {
	now := time.Now().Unix()
	if last := rp.failLog.Load(); last == now || !rp.failLog.CompareAndSwap(last, now) {
		return
	}
	rp.cfg.Logger.Warn("replay failed", "step", what, "method", j.req.Method, "target", j.req.Target,
		"client", j.conn.Client.String(), "err", err)
}

// Close stops accepting requests and replays those queued until ctx is
// done; what is left then is dropped and counted (reason "shutdown").
func (rp *Replayer) Close(ctx context.Context) error {
	rp.mu.Lock()
	if rp.closed {
		rp.mu.Unlock()
		return errors.New("replay: closed twice")
	}
	rp.closed = true
	for _, q := range rp.queues {
		close(q)
	}
	rp.mu.Unlock()
	done := make(chan struct{})
	go func() { rp.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		rp.cancel()
		<-done
		err = fmt.Errorf("replay: drain cut short: %w", ctx.Err())
	}
	rp.cancel()
	rp.client.CloseIdleConnections()
	return err
}
