package httpparse

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

var (
	errIncomplete = errors.New("incomplete head")
	errTooLarge   = errors.New("head too large")
	errMalformed  = errors.New("malformed request")
)

type head struct {
	*Request
	chunked bool
	length  int64
}

// nextLine returns the line at the start of b without its LF or CRLF, and
// the number of bytes it occupies; n is -1 when b holds no complete line.
func nextLine(b []byte) (line []byte, n int) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, -1
	}
	line = b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, i + 1
}

func isMethodChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

func isTChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func parseRequestLine(line []byte) (method, target, proto string, err error) {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return "", "", "", errMalformed
	}
	for _, c := range line[:sp1] {
		if !isMethodChar(c) {
			return "", "", "", errMalformed
		}
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return "", "", "", errMalformed
	}
	tgt, pr := rest[:sp2], rest[sp2+1:]
	for _, c := range tgt {
		if c <= ' ' || c == 0x7f {
			return "", "", "", errMalformed
		}
	}
	switch string(pr) {
	case "HTTP/1.1":
		proto = "HTTP/1.1"
	case "HTTP/1.0":
		proto = "HTTP/1.0"
	default:
		return "", "", "", errMalformed
	}
	return internMethod(line[:sp1]), string(tgt), proto, nil
}

// internMethod and internName return shared strings for common methods and
// header names: one allocation less per request and per header line.
func internMethod(b []byte) string {
	switch string(b) { // the compiler does not allocate for this conversion
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "HEAD":
		return "HEAD"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "OPTIONS":
		return "OPTIONS"
	}
	return string(b)
}

var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
		"Content-Type", "Content-Length", "Connection", "Cookie", "Authorization", "Referer", "Origin",
		"Cache-Control", "Transfer-Encoding", "Expect", "X-Forwarded-For", "X-Forwarded-Proto",
		"X-Forwarded-Port", "X-Forwarded-Host", "X-Request-Id", "X-Amzn-Trace-Id", "Upgrade", "Pragma",
		"If-None-Match", "If-Modified-Since", "Range", "Keep-Alive", "Te", "Trailer",
		"host", "user-agent", "accept", "content-type", "content-length", "connection", "cookie"} {
		m[n] = n
	}
	return m
}()

func internName(b []byte) string {
	if s, ok := commonNames[string(b)]; ok { // no allocation for the lookup
		return s
	}
	return string(b)
}

// headLine returns the line of b that starts at off. A line whose LF lies
// beyond b[maxHeader] makes the head too large, whether or not b holds that
// LF yet: the answer does not depend on how much of the stream is buffered.
func headLine(b []byte, off, maxHeader int) (line []byte, next int, err error) {
	line, n := nextLine(b[off:])
	switch {
	case n < 0 && len(b) > maxHeader, n >= 0 && off+n-1 > maxHeader:
		return nil, 0, errTooLarge
	case n < 0:
		return nil, 0, errIncomplete
	}
	return line, off + n, nil
}

// parseHead parses the request line and header fields at the start of b.
func parseHead(b []byte, maxHeader int) (head, int, error) {
	var h head
	line, off, err := headLine(b, 0, maxHeader)
	if err != nil {
		return h, 0, err
	}
	method, target, proto, err := parseRequestLine(line)
	if err != nil {
		return h, 0, err
	}
	h.Request = &Request{Method: method, Target: target, Proto: proto, Header: make([]Field, 0, 8)}
	h.length = -1
	var te string
	for {
		line, off, err = headLine(b, off, maxHeader)
		if err != nil {
			return h, 0, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return h, 0, errMalformed // obsolete line folding (RFC 9112 5.2)
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return h, 0, errMalformed
		}
		for _, c := range line[:colon] {
			if !isTChar(c) {
				return h, 0, errMalformed
			}
		}
		value := bytes.Trim(line[colon+1:], " \t")
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return h, 0, errMalformed
			}
		}
		f := Field{Name: internName(line[:colon]), Value: string(value)}
		h.Header = append(h.Header, f)
		switch {
		case strings.EqualFold(f.Name, "Host"):
			if h.Host == "" {
				h.Host = f.Value
			}
		case strings.EqualFold(f.Name, "Content-Length"):
			v, err := parseContentLength(f.Value)
			if err != nil || h.length >= 0 && h.length != v {
				return h, 0, errMalformed
			}
			h.length = v
		case strings.EqualFold(f.Name, "Transfer-Encoding"):
			if te != "" {
				te += ","
			}
			te += f.Value
		}
	}
	if te != "" {
		// RFC 9112 6.1/6.3: chunked must be the final coding of a
		// request; Transfer-Encoding overrides Content-Length.
		codings := strings.Split(te, ",")
		if !strings.EqualFold(strings.TrimSpace(codings[len(codings)-1]), "chunked") {
			return h, 0, errMalformed
		}
		h.chunked = true
		h.length = -1
	}
	if h.length < 0 {
		h.length = 0
	}
	return h, off, nil
}

func parseContentLength(s string) (int64, error) {
	if strings.IndexByte(s, ',') < 0 {
		if s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return 0, errMalformed
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, errMalformed
		}
		return n, nil
	}
	// Repeated values in one field ("5, 5") must agree (RFC 9110 8.6).
	var v int64 = -1
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || strings.TrimLeft(part, "0123456789") != "" {
			return 0, errMalformed
		}
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || v >= 0 && n != v {
			return 0, errMalformed
		}
		v = n
	}
	return v, nil
}

// parseChunkSize parses a chunk-size line (hex size, optional extensions).
func parseChunkSize(line []byte) (int64, bool) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	var v int64
	for _, c := range line {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | int64(d)
	}
	return v, true
}
