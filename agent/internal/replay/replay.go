package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
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
	// Each worker keeps its own connection (destConn): never through an
	// environment proxy, no Accept-Encoding added, redirects not
	// followed (exactly one request is replayed), HTTP/1.1 only.
	rp := &Replayer{
		cfg:      cfg,
		dest:     dest,
		base:     strings.TrimSuffix(dest.String(), "/"),
		destPath: strings.TrimSuffix(dest.EscapedPath(), "/"),
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
		rp.finish(c, r, &Result{Dropped: "sampled_out"})
		return
	}
	rp.mu.RLock()
	defer rp.mu.RUnlock()
	if rp.closed {
		cnt.RequestDrops[metrics.DropShutdown].Add(1)
		rp.finish(c, r, &Result{Dropped: "shutdown"})
		return
	}
	cost := jobCost(r)
	if !rp.cfg.Budget.TryCharge(cost) {
		cnt.RequestDrops[metrics.DropMemory].Add(1)
		rp.finish(c, r, &Result{Dropped: "memory"})
		return
	}
	q := rp.queues[c.ID%uint64(len(rp.queues))]
	select {
	case q <- job{conn: c, req: r, cost: cost}:
		cnt.ReplayQueued.Add(1)
	default:
		rp.cfg.Budget.Release(cost)
		cnt.RequestDrops[metrics.DropQueueFull].Add(1)
		rp.finish(c, r, &Result{Dropped: "queue_full"})
	}
}

// Result is what became of one submitted request (see Config.OnResult).
type Result struct {
	// Dropped names why the request was not replayed or got no response
	// ("sampled_out", "shutdown", "memory", "queue_full", "failed"); ""
	// when the fields below hold the destination's response.
	Dropped string
	Status  int
	Header  []httpparse.Field
	// Body is the response body, at most Config.KeepBody bytes of it;
	// BodyCut says it was longer.
	Body    []byte
	BodyCut bool
	// Latency is from sending the request to reading the whole response.
	Latency time.Duration
}

func (rp *Replayer) finish(c stream.Conn, r *httpparse.Request, res *Result) {
	if rp.cfg.OnResult != nil {
		rp.cfg.OnResult(c, r, res)
	}
}

func (rp *Replayer) worker(q chan job) {
	defer rp.wg.Done()
	dc := rp.newDestConn()
	defer dc.close()
	w := &wire{rp: rp}
	for j := range q {
		rp.cfg.Counters.ReplayQueued.Add(-1)
		if rp.ctx.Err() != nil {
			rp.cfg.Counters.RequestDrops[metrics.DropShutdown].Add(1)
			rp.finish(j.conn, j.req, &Result{Dropped: "shutdown"})
		} else {
			rp.replay(dc, w, j)
		}
		rp.cfg.Budget.Release(j.cost)
	}
}

func (rp *Replayer) replay(dc *destConn, w *wire, j job) {
	cnt := rp.cfg.Counters
	if rp.limiter != nil {
		if err := rp.limiter.Wait(rp.ctx); err != nil {
			cnt.RequestDrops[metrics.DropShutdown].Add(1)
			rp.finish(j.conn, j.req, &Result{Dropped: "shutdown"})
			return
		}
	}
	out, err := w.render(j.conn, j.req)
	if err != nil {
		cnt.ReplayFailed.Add(1)
		rp.logFailure("build request", j, err)
		rp.finish(j.conn, j.req, &Result{Dropped: "failed"})
		return
	}
	start := time.Now()
	resp, err := dc.roundTrip(out)
	if err != nil {
		if rp.ctx.Err() != nil {
			cnt.RequestDrops[metrics.DropShutdown].Add(1)
			rp.finish(j.conn, j.req, &Result{Dropped: "shutdown"})
			return
		}
		cnt.ReplayFailed.Add(1)
		rp.logFailure("replay", j, err)
		rp.finish(j.conn, j.req, &Result{Dropped: "failed"})
		return
	}
	var res *Result
	if rp.cfg.OnResult != nil {
		res = &Result{Status: resp.status, Header: resp.fields()}
	}
	kept, cut, end := consume(resp, res != nil, rp.cfg.KeepBody, rp.cfg.MaxResponseDrain)
	dc.done(resp, end)
	lat := time.Since(start)
	cnt.Latency.Observe(lat)
	cnt.ReplayStatus[metrics.StatusClass(resp.status)].Add(1)
	cnt.Replayed.Add(1)
	if res != nil {
		res.Body, res.BodyCut, res.Latency = kept, cut, lat
		rp.finish(j.conn, j.req, res)
	}
}

// consume reads resp's body: its first keepBody bytes kept when keep,
// the rest drained up to maxDrain; cut says there was more than was kept,
// end that the body was read to its end.
func consume(resp *response, keep bool, keepBody int, maxDrain int64) (kept []byte, cut, end bool) {
	if keep {
		kept, _ = io.ReadAll(io.LimitReader(resp.body, int64(keepBody)))
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.body, maxDrain))
	end = err == nil && atEOF(resp.body)
	if end && resp.std != nil {
		_ = resp.std.Body.Close() // read to its end: nothing to release
	}
	return kept, n > 0, end
}

// fields lists a response's header in a stable order (net/http keeps a
// map), with Content-Length and Transfer-Encoding as they were framed.
func fields(resp *http.Response) []httpparse.Field {
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]httpparse.Field, 0, len(keys)+1)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			out = append(out, httpparse.Field{Name: k, Value: v})
		}
	}
	return out
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
	return err
}
