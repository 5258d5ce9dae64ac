package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures Start; a zero field takes its default.
type Options struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (default
	// 30s): a client that sends its body slowly is cut off.
	ReadTimeout time.Duration
	// WriteTimeout bounds serving a request once its headers are read
	// (default 60s).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long (default
	// 60s).
	IdleTimeout time.Duration
	// MaxConns caps the open connections (default 256); one more is
	// answered 503 and closed at once.
	MaxConns int
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ReadHeaderTimeout, 10*time.Second)
	def(&o.ReadTimeout, 30*time.Second)
	def(&o.WriteTimeout, 60*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	if o.MaxConns <= 0 {
		o.MaxConns = 256
	}
}

// Server is a running HTTP server (Start).
type Server struct {
	hs   *http.Server
	ln   *capListener
	done chan error
}

// Start serves h on ln with the timeouts and the connection cap of o,
// until Shutdown.
func Start(ln net.Listener, h http.Handler, o Options) *Server {
	o.defaults()
	cl := &capListener{Listener: ln, max: int64(o.MaxConns)}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	s := &Server{hs: hs, ln: cl, done: make(chan error, 1)}
	go func() { s.done <- hs.Serve(cl) }()
	return s
}

// Shutdown stops accepting, waits for the requests in progress until ctx
// ends, and returns the first error of serving or stopping.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// busy is the answer to a connection over the cap.
const busy = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 45\r\n\r\nToo many connections to this API; try again.\n"

// capListener accepts every connection, and answers 503 and closes those
// over the cap at once, so that a flood of connections never queues the
// next client behind them, nor uses up the process's file descriptors.
type capListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused atomic.Uint64
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &countedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.refused.Add(1)
		// a fresh socket's send buffer is empty: this write does not wait
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write([]byte(busy))
		_ = c.Close()
	}
}

// countedConn gives its place back when closed (once).
type countedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
