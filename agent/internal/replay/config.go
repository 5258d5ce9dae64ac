package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/budget"
	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/metrics"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// Config configures a Replayer.
type Config struct {
	// Destination is the base URL requests are sent to ("http://host:port"
	// or "https://..."; a path prefix is kept).
	Destination string
	// KeepHostHeader sends the original Host instead of the destination's.
	KeepHostHeader bool
	// Percentage of requests to replay, in (0, 100]; 0 means 100.
	Percentage float64
	// PercentageBy is "" (each request drawn at random), "header" or
	// "remoteaddr" (the same header value or client is always in or out).
	PercentageBy string
	// PercentageByHeader names the header when PercentageBy is "header".
	PercentageByHeader string
	// Workers is the number of concurrent replays and of connections to
	// the destination (default 32).
	Workers int
	// QueueSize is the number of requests that may wait (default 10 000).
	QueueSize int
	// Timeout bounds one replay, response included (default 10s).
	Timeout time.Duration
	// RateLimit caps replays per second (0: no limit); Burst defaults to
	// Workers.
	RateLimit float64
	Burst     int
	// InsecureSkipVerify accepts any certificate from an https destination.
	InsecureSkipVerify bool
	// MaxResponseDrain is how much of a response body is read before the
	// connection is dropped instead (default 4 MiB).
	MaxResponseDrain int64
	// DialContext makes the connections (default net.Dialer); the agent
	// wraps it to dial inside a network namespace.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Budget is charged for each request from Submit until its replay is
	// done (httpparse.Request.MemSize, plus the headers of the request
	// sent); a request it cannot take is dropped (reason memory). Nil: no
	// limit but QueueSize.
	Budget *budget.Budget
	// OnResult, when set, is called once for every request given to
	// Submit, from a worker or from Submit itself, with the destination's
	// response (status, headers, body up to KeepBody, latency) or why there
	// is none. Shadow testing compares it with production's.
	OnResult func(c stream.Conn, r *httpparse.Request, res *Result)
	// KeepBody is how much of a response body OnResult gets (default
	// 64 KiB).
	KeepBody int
	Counters *metrics.Counters
	Logger   *slog.Logger
}

// Validate checks cfg and says what to fix.
func (c *Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.Destination)
	switch {
	case c.Destination == "":
		errs = append(errs, errors.New("destination: required (e.g. -destination http://10.0.0.40)"))
	case err != nil:
		errs = append(errs, fmt.Errorf("destination %q: %w", c.Destination, err))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("destination %q: scheme must be http or https", c.Destination))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("destination %q: missing host", c.Destination))
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("destination %q: must not have a query or fragment", c.Destination))
	}
	if c.Percentage < 0 || c.Percentage > 100 {
		errs = append(errs, fmt.Errorf("percentage %v: must be between 0 and 100", c.Percentage))
	}
	switch c.PercentageBy {
	case "", "remoteaddr":
	case "header":
		if strings.TrimSpace(c.PercentageByHeader) == "" {
			errs = append(errs, errors.New("percentage-by header: also give -percentage-by-header NAME"))
		}
	default:
		errs = append(errs, fmt.Errorf("percentage-by %q: must be empty, header or remoteaddr", c.PercentageBy))
	}
	if c.Workers < 0 || c.QueueSize < 0 || c.Timeout < 0 || c.RateLimit < 0 || c.Burst < 0 {
		errs = append(errs, errors.New("workers, queue size, timeout, rate limit and burst must not be negative"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Percentage == 0 {
		c.Percentage = 100
	}
	if c.Workers == 0 {
		c.Workers = 32
	}
	if c.QueueSize == 0 {
		c.QueueSize = 10_000
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Burst == 0 {
		c.Burst = c.Workers
	}
	if c.KeepBody <= 0 {
		c.KeepBody = 64 << 10
	}
	if c.MaxResponseDrain == 0 {
		c.MaxResponseDrain = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Counters == nil {
		c.Counters = metrics.New()
	}
	if c.DialContext == nil {
		c.DialContext = (&net.Dialer{Timeout: c.Timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	return c
}
