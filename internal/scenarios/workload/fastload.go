package workload

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// fastTarget returns the host:port and Host header of a load the lean
// client can send: keep-alive GETs without body or extra headers to an
// http:// URL without a path (the bench's numbered load). Anything else
// goes through net/http.
func fastTarget(l HTTPLoad) (addr, host string, ok bool) {
	if !l.KeepAlive || len(l.Bodies) > 0 || len(l.Headers) > 0 {
		return "", "", false
	}
	for _, m := range l.Methods {
		if m != "GET" {
			return "", "", false
		}
	}
	u, err := url.Parse(l.URL)
	if err != nil || u.Scheme != "http" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Host == "" {
		return "", "", false
	}
	addr = u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return addr, u.Host, true
}

// fastConn is one keep-alive connection of the lean client: requests are
// written from a reused buffer and answers read with a bufio.Reader,
// without net/http's per-request objects (the bench's load generator
// shares two cores with what it measures).
type fastConn struct {
	n          Net
	addr, host string
	timeout    time.Duration
	c          net.Conn
	r          *bufio.Reader
	req        []byte
}

func (f *fastConn) close() {
	if f.c != nil {
		_ = f.c.Close()
		f.c, f.r = nil, nil
	}
}

// do sends GET path and reads the answer; a status >= 500 is an error, as
// in doRequest. The connection is closed after an error or when the server
// asks.
func (f *fastConn) do(ctx context.Context, path string) error {
	if f.c == nil {
		dctx, cancel := context.WithTimeout(ctx, f.timeout)
		c, err := f.n.Dial(dctx, "tcp", f.addr)
		cancel()
		if err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
		f.c = c
		if f.r == nil {
			f.r = bufio.NewReaderSize(c, 4096)
		}
		f.r.Reset(c)
	}
	f.req = append(f.req[:0], "GET "...)
	f.req = append(f.req, path...)
	f.req = append(f.req, " HTTP/1.1\r\nHost: "...)
	f.req = append(f.req, f.host...)
	f.req = append(f.req, "\r\nUser-Agent: mirrorlab-load\r\n\r\n"...)
	c := f.c
	_ = c.SetDeadline(time.Now().Add(f.timeout))
	// The load's context ends a request in flight, as net/http's would.
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(f.req); err != nil {
		f.close()
		return fmt.Errorf("GET %s: %w", path, err)
	}
	status, keep, err := readAnswer(f.r)
	if err != nil {
		f.close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("GET %s: timeout", path)
		}
		return fmt.Errorf("GET %s: %w", path, err)
	}
	if !keep {
		f.close()
	}
	if status >= 500 {
		return fmt.Errorf("GET %s: status %d", path, status)
	}
	return nil
}

// readAnswer reads one HTTP/1.x response to a GET (skipping 1xx interim
// answers) and discards its body: by Content-Length, chunked, or up to the
// connection's end. keep is false when the connection cannot carry
// another request.
func readAnswer(r *bufio.Reader) (status int, keep bool, err error) {
	for {
		line, err := readLine(r)
		if err != nil {
			return 0, false, fmt.Errorf("read status line: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return 0, false, fmt.Errorf("malformed status line %q", line)
		}
		status, err = strconv.Atoi(string(line[9:12]))
		if err != nil || status < 100 {
			return 0, false, fmt.Errorf("malformed status line %q", line)
		}
		keep = line[7] == '1' // HTTP/1.1 keeps the connection by default
		length, chunked := int64(-1), false
		for {
			h, err := readLine(r)
			if err != nil {
				return 0, false, fmt.Errorf("read header: %w", err)
			}
			h = bytes.TrimRight(h, "\r\n")
			if len(h) == 0 {
				break
			}
			name, value, ok := bytes.Cut(h, []byte(":"))
			if !ok {
				return 0, false, fmt.Errorf("malformed header %q", h)
			}
			value = bytes.TrimSpace(value)
			switch {
			case bytes.EqualFold(name, []byte("Content-Length")):
				if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
					return 0, false, fmt.Errorf("bad Content-Length %q", value)
				}
			case bytes.EqualFold(name, []byte("Transfer-Encoding")):
				chunked = bytes.EqualFold(value, []byte("chunked"))
			case bytes.EqualFold(name, []byte("Connection")):
				if bytes.EqualFold(value, []byte("close")) {
					keep = false
				} else if bytes.EqualFold(value, []byte("keep-alive")) {
					keep = true
				}
			}
		}
		if status < 200 && status != 101 {
			continue // 100 Continue, 103 Early Hints: the answer follows
		}
		switch {
		case status == 204 || status == 304 || status == 101:
		case chunked:
			if err := discardChunked(r); err != nil {
				return 0, false, err
			}
		case length >= 0:
			if _, err := r.Discard(int(length)); err != nil {
				return 0, false, fmt.Errorf("read body: %w", err)
			}
		default:
			// No length: the body ends with the connection.
			if _, err := io.Copy(io.Discard, r); err != nil {
				return 0, false, fmt.Errorf("read body: %w", err)
			}
			keep = false
		}
		return status, keep && status != 101, nil
	}
}

// discardChunked reads a chunked body and its trailer.
func discardChunked(r *bufio.Reader) error {
	for {
		line, err := readLine(r)
		if err != nil {
			return fmt.Errorf("read chunk size: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 63)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailer up to the empty line
				t, err := readLine(r)
				if err != nil {
					return fmt.Errorf("read trailer: %w", err)
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := r.Discard(int(size)); err != nil {
			return fmt.Errorf("read chunk: %w", err)
		}
		if _, err := r.Discard(2); err != nil { // CRLF after the data
			return fmt.Errorf("read chunk end: %w", err)
		}
	}
}

// readLine returns the next line (valid until the next read). A line longer
// than the reader's buffer (a big cookie) is cut to what the buffer held
// and the rest skipped: the headers that matter here are short.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = r.ReadSlice('\n')
	}
	if err != nil {
		return nil, err
	}
	// The buffer was refilled: the line's head is gone, keep a marker that
	// parses as an unknown header (or a malformed status line).
	return []byte("X-Long-Line: cut"), nil
}
