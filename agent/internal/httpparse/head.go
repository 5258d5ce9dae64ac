package httpparse

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// The rules below are those of a conforming HTTP/1.1 server (RFC 9112),
// taken as Go's net/http server applies them, since a request is replayed
// only when production would have served it: what net/http refuses with
// 4xx/5xx (and then closes the connection on) is refused here too, and
// the connection's stream stops there. TestDifferentialNetHTTP and
// FuzzDifferentialNetHTTP compare the two on the same bytes.

var (
	errIncomplete = errors.New("incomplete head")
	errTooLarge   = errors.New("head too large")
	errMalformed  = errors.New("malformed request")
	// errBadLine is a request line that is not HTTP/1.x at all: the first
	// one classifies the connection as not HTTP.
	errBadLine = errors.New("malformed request line")
)

type head struct {
	*Request
	chunked bool
	length  int64
	// close: the server closes the connection after this request (HTTP/1.0
	// without keep-alive, Connection: close); reject: it answers with an
	// error (417 to an unknown expectation) and closes.
	close, reject bool
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

// isMethodChar is what the resynchronising scan takes for the characters
// of a method (upper-case methods only: a heuristic after a gap). Heads
// themselves accept any token as a method, as servers do.
func isMethodChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

func isTChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isTChar(c) {
			return false
		}
	}
	return true
}

func isTokenOrSpace(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isTChar(c) && c != ' ' {
			return false
		}
	}
	return true
}

// isCTL reports an ASCII control character (RFC 5234 CTL).
func isCTL(c byte) bool { return c < ' ' || c == 0x7f }

// validValueByte: field values hold VCHAR, SP, HTAB and obs-text.
func validValueByte(c byte) bool { return !isCTL(c) || c == '\t' }

// parseVersion parses HTTP/x.y (one digit each) as net/http does.
func parseVersion(b []byte) (major, minor int, ok bool) {
	switch string(b) {
	case "HTTP/1.1":
		return 1, 1, true
	case "HTTP/1.0":
		return 1, 0, true
	}
	if len(b) != len("HTTP/x.y") || string(b[:5]) != "HTTP/" || b[6] != '.' {
		return 0, 0, false
	}
	if b[5] < '0' || b[5] > '9' || b[7] < '0' || b[7] > '9' {
		return 0, 0, false
	}
	return int(b[5] - '0'), int(b[7] - '0'), true
}

// parseRequestLine splits "method SP target SP version" at the first two
// spaces and checks each part. Only HTTP/1.x is served over HTTP/1.
func parseRequestLine(line []byte) (method, target, proto string, minor int, err error) {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return "", "", "", 0, errBadLine
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 < 0 || !isToken(line[:sp1]) {
		return "", "", "", 0, errBadLine
	}
	m, tgt, pr := line[:sp1], rest[:sp2], rest[sp2+1:]
	major, minor, ok := parseVersion(pr)
	if !ok || major != 1 || !validTarget(m, tgt) {
		return "", "", "", 0, errBadLine
	}
	return internMethod(m), string(tgt), internProto(pr), minor, nil
}

func internProto(b []byte) string {
	switch string(b) {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	return string(b)
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

// trimOWS trims spaces and tabs at both ends.
func trimOWS(b []byte) []byte {
	return bytes.Trim(b, " \t")
}

// fieldLine reads one field line starting at off, with its obsolete
// continuation lines (RFC 9112 5.2: each replaced by one space, as
// net/http does), and splits it. An empty line ends the section (name nil,
// empty true). The value is trimmed.
// In a trailer (lax), a name may hold spaces: net/http keeps such a field
// and checks only the head's names.
func fieldLine(b []byte, off, maxHeader int, scratch []byte, lax bool) (name, value []byte, next int, empty bool, err error) {
	line, next, err := headLine(b, off, maxHeader)
	if err != nil {
		return nil, nil, 0, false, err
	}
	if len(line) == 0 {
		return nil, nil, next, true, nil
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return nil, nil, 0, false, errMalformed
	}
	kv := trimOWS(line)
	for {
		if next >= len(b) {
			if len(b) > maxHeader {
				return nil, nil, 0, false, errTooLarge
			}
			return nil, nil, 0, false, errIncomplete // a continuation may follow
		}
		if c := b[next]; c != ' ' && c != '\t' {
			break
		}
		if len(scratch) == 0 {
			scratch = append(scratch, kv...)
		}
		cont, n, err := headLine(b, next, maxHeader)
		if err != nil {
			return nil, nil, 0, false, err
		}
		scratch = append(append(scratch, ' '), trimOWS(cont)...)
		kv, next = scratch, n
	}
	colon = bytes.IndexByte(kv, ':')
	name, value = kv[:colon], kv[colon+1:]
	if !isToken(name) && !(lax && isTokenOrSpace(name)) {
		return nil, nil, 0, false, errMalformed
	}
	for _, c := range value {
		if !validValueByte(c) {
			return nil, nil, 0, false, errMalformed
		}
	}
	return name, bytes.TrimLeft(value, " \t"), next, false, nil
}

// fields is what the framing and connection rules need from a head.
type fields struct {
	hosts, te, cl int
	badHost       bool
	firstCL       string
	clDiffer      bool
	teValue       string
	conn          []string
	expect        string
	expectSeen    bool
	trailerBad    bool
}

func (f *fields) add(name, value string) {
	switch {
	case asciiEqualFold(name, "Host"):
		f.hosts++
		f.badHost = f.badHost || !validHost(value)
	case asciiEqualFold(name, "Content-Length"):
		if f.cl == 0 {
			f.firstCL = value
		} else if value != f.firstCL {
			f.clDiffer = true
		}
		f.cl++
	case asciiEqualFold(name, "Transfer-Encoding"):
		f.te++
		f.teValue = value
	case asciiEqualFold(name, "Connection"):
		f.conn = append(f.conn, value)
	case asciiEqualFold(name, "Expect"):
		if !f.expectSeen {
			f.expect, f.expectSeen = value, true
		}
	case asciiEqualFold(name, "Trailer"):
		for _, k := range strings.Split(value, ",") {
			switch k = strings.Trim(k, " \t"); {
			case asciiEqualFold(k, "Transfer-Encoding"), asciiEqualFold(k, "Trailer"), asciiEqualFold(k, "Content-Length"):
				f.trailerBad = true
			}
		}
	}
}

// parseHead parses the request line and header fields at the start of b.
func parseHead(b []byte, maxHeader int) (head, int, error) {
	var h head
	line, off, err := headLine(b, 0, maxHeader)
	if err != nil {
		return h, 0, err
	}
	method, target, proto, minor, err := parseRequestLine(line)
	if err != nil {
		return h, 0, err
	}
	h.Request = &Request{Method: method, Target: target, Proto: proto, Header: make([]Field, 0, 8)}
	if off < len(b) && (b[off] == ' ' || b[off] == '\t') {
		return h, 0, errMalformed // a first field line cannot be a continuation
	}
	var f fields
	var scratch []byte
	for {
		name, value, next, empty, err := fieldLine(b, off, maxHeader, scratch[:0], false)
		if err != nil {
			return h, 0, err
		}
		off = next
		if empty {
			break
		}
		fl := Field{Name: internName(name), Value: string(value)}
		h.Header = append(h.Header, fl)
		f.add(fl.Name, fl.Value)
		if f.hosts == 1 && h.Host == "" && asciiEqualFold(fl.Name, "Host") {
			h.Host = fl.Value
		}
	}
	if err := h.frame(&f, minor); err != nil {
		return h, 0, err
	}
	return h, off, nil
}

// frame applies the rules that need the whole head: Host (RFC 9112 3.2),
// the body's framing (6.1-6.3), persistence (9.3) and Expect (RFC 9110
// 10.1.1).
func (h *head) frame(f *fields, minor int) error {
	if f.hosts > 1 || f.badHost || f.hosts == 0 && minor >= 1 && h.Method != "CONNECT" {
		return errMalformed
	}
	if f.te > 0 && minor >= 1 {
		// Only one Transfer-Encoding field, "chunked" alone; HTTP/1.0
		// requests' Transfer-Encoding is ignored.
		if f.te > 1 || !asciiEqualFold(f.teValue, "chunked") {
			return errMalformed
		}
		h.chunked = true
	}
	if f.cl > 0 {
		if f.clDiffer {
			return errMalformed
		}
		n, err := parseContentLength(f.firstCL)
		if err != nil {
			return err
		}
		h.length = n
	}
	if h.chunked {
		if f.trailerBad {
			return errMalformed
		}
		h.length = 0
	}
	first := ""
	if len(f.conn) > 0 {
		first = f.conn[0]
	}
	if minor == 0 {
		h.close = !hasToken(first, "keep-alive")
	} else {
		h.close = hasToken(first, "close")
		for _, v := range f.conn {
			h.close = h.close || valuesContainToken(v, "close")
		}
	}
	h.reject = f.expect != "" && !hasToken(f.expect, "100-continue")
	return nil
}

// parseContentLength parses a Content-Length value: decimal digits only
// (no sign, no list), at most 2^63-1.
func parseContentLength(s string) (int64, error) {
	if s == "" {
		return 0, errMalformed
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, errMalformed
	}
	return int64(n), nil
}

// hasToken reports whether token occurs in v delimited by SP, HTAB, comma
// or the ends (case-insensitive), as net/http matches Expect and
// Connection's first value.
func hasToken(v, token string) bool {
	for sp := 0; sp+len(token) <= len(v); sp++ {
		if sp > 0 && !isTokenBoundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !isTokenBoundary(v[end]) {
			continue
		}
		if asciiEqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

func isTokenBoundary(b byte) bool { return b == ' ' || b == ',' || b == '\t' }

// valuesContainToken reports whether a comma-separated element of v is
// token (RFC 9110 5.6.1).
func valuesContainToken(v, token string) bool {
	for _, e := range strings.Split(v, ",") {
		if asciiEqualFold(strings.Trim(e, " \t"), token) {
			return true
		}
	}
	return false
}

// validTarget checks a request-target as net/http parses it (RFC 9112
// 3.2): origin-form is checked here without allocating; the other forms
// (absolute, authority for CONNECT, asterisk) by net/url.
func validTarget(method, target []byte) bool {
	for _, c := range target {
		if isCTL(c) {
			return false
		}
	}
	if len(target) > 0 && target[0] == '/' {
		path := target
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		for i := 0; i < len(path); i++ {
			if path[i] == '%' && (i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2])) {
				return false
			}
		}
		return true
	}
	raw := string(target)
	if string(method) == "CONNECT" {
		raw = "http://" + raw // authority-form (even an empty one)
	}
	_, err := url.ParseRequestURI(raw)
	return err == nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// asciiEqualFold compares ASCII case-insensitively; a non-ASCII byte never
// matches a letter (strings.EqualFold's Unicode folding would take the
// Kelvin sign for a K: a smuggling vector in a Transfer-Encoding value).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// validHost: the bytes a Host value may hold (a lenient RFC 3986 host and
// port, as net/http checks it).
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if strings.IndexByte("!$%&()*+,-.:;=[]'_~", c) < 0 {
			return false
		}
	}
	return true
}

// parseChunkSize parses a chunk-size line without its CRLF: hex size (at
// most 16 digits), optional extensions after ';'. Trailing whitespace is
// allowed at the end of the line only (as net/http reads it).
func parseChunkSize(line []byte) (uint64, bool) {
	line = bytes.TrimRight(line, " \t")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 || len(line) > 16 {
		return 0, false
	}
	var v uint64
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
		v = v<<4 | uint64(d)
	}
	return v, true
}
