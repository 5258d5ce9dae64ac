package replay

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// destConn is one worker's keep-alive connection to the destination, used
// by that worker alone: the request is written (rendered by wire as
// net/http's Request.Write renders it) and its response read (respReader,
// net/http's ReadResponse for unusual replies) on the worker's own
// goroutine. net/http's Transport gives each connection a reader and a
// writer goroutine and hands every request and response between them
// and the caller: three wake-ups per replay, most of them of another
// thread, which in the agent's CPU profile at low load cost more than
// the HTTP work itself.
type destConn struct {
	rp   *Replayer
	addr string // host:port to dial
	// mu guards c against abort (from another goroutine at shutdown).
	mu      sync.Mutex
	c       net.Conn
	aborted bool
	br      *bufio.Reader
	// method is the method of the request in flight (HEAD has no body).
	method string
	rr     respReader
	// reused: a response was read on c before (a failure on it may be the
	// server closing an idle connection: the request is sent again once).
	reused bool
	stop   func() bool
}

func (rp *Replayer) newDestConn() *destConn {
	d := &destConn{rp: rp, addr: destAddr(rp.dest.Scheme, rp.dest.Host)}
	d.stop = context.AfterFunc(rp.ctx, d.abort)
	return d
}

// destAddr is host with the scheme's default port when it has none.
func destAddr(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	h := host
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1] // a bare IPv6 literal
	}
	return net.JoinHostPort(h, port)
}

// abort makes the exchange in progress fail at once and every later one
// too (shutdown cut short).
func (d *destConn) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	if d.c != nil {
		_ = d.c.SetDeadline(time.Unix(1, 0)) // fails only on a closed conn
	}
}

// close closes the connection for good.
func (d *destConn) close() {
	d.stop()
	d.drop()
}

// drop closes the current connection (the next exchange dials anew).
func (d *destConn) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		_ = d.c.Close() // nothing is lost with it
		d.c = nil
	}
	d.reused = false
}

// dial connects (and, for https, shakes hands) within the timeout.
func (d *destConn) dial() error {
	ctx, cancel := context.WithTimeout(d.rp.ctx, d.rp.cfg.Timeout)
	defer cancel()
	c, err := d.rp.cfg.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return err
	}
	c = withRawIO(c)
	if d.rp.dest.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: d.rp.dest.Hostname(), InsecureSkipVerify: d.rp.cfg.InsecureSkipVerify}) //nolint:gosec // opt-in flag
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = c.Close() // the handshake's error says it all
			return fmt.Errorf("tls handshake with %s: %w", d.addr, err)
		}
		c = tc
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.aborted {
		_ = c.Close() // shutdown: not used
		return context.Canceled
	}
	d.c = c
	if d.br == nil {
		d.br = bufio.NewReaderSize(c, 4096)
	} else {
		d.br.Reset(c)
	}
	return nil
}

// roundTrip sends out and reads its response head; the body is read
// from the connection, then done must be called. A request that fails on
// a connection that served before, before any of its response was read,
// is sent again once on a new connection when sending it again is safe
// (as net/http's Transport does: nothing was written, or the method is
// idempotent).
func (d *destConn) roundTrip(out outgoing) (*response, error) {
	d.method = out.method
	for attempt := 0; ; attempt++ {
		if d.c == nil {
			if err := d.dial(); err != nil {
				return nil, err
			}
		}
		reused := d.reused
		resp, wrote, readAny, err := d.exchange(out.bytes)
		if err == nil {
			return resp, nil
		}
		d.drop()
		if attempt > 0 || !reused || readAny || d.rp.ctx.Err() != nil || (wrote && !out.replayable) {
			return nil, err
		}
	}
}

// exchange writes the request and reads the head of its final response
// (interim 1xx answers skipped). It says whether the request was written
// whole and whether any byte of a response was read.
func (d *destConn) exchange(request []byte) (resp *response, wrote, readAny bool, err error) {
	if err := d.c.SetDeadline(time.Now().Add(d.rp.cfg.Timeout)); err != nil {
		return nil, false, false, err
	}
	if _, err := d.c.Write(request); err != nil {
		return nil, false, false, err
	}
	if _, err := d.br.Peek(1); err != nil {
		return nil, true, false, err
	}
	resp, err = d.rr.read(d.br, d.method)
	if err != nil {
		return nil, true, true, err
	}
	return resp, true, true, nil
}

// done ends the exchange of resp: the connection is kept for the next
// request when the response was read to its end and the server keeps
// it open, closed otherwise.
func (d *destConn) done(resp *response, readToEnd bool) {
	if !readToEnd || resp.close || resp.status == http.StatusSwitchingProtocols {
		d.drop()
		return
	}
	d.reused = true
}

// replayable says whether req may be sent twice, as net/http's Transport
// decides it: a safe method, or an idempotency key; and a body that can
// be sent again.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// atEOF reports whether body has nothing more to read.
func atEOF(body io.Reader) bool {
	var one [1]byte
	n, err := body.Read(one[:])
	return n == 0 && errors.Is(err, io.EOF)
}
