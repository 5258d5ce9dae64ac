package replay

import (
	"bytes"
	"context"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// wireField is one header line of the request to send (its name
// canonical, as net/http's Header keys are).
type wireField struct{ name, value string }

// wire renders a replayed request to bytes exactly as net/http's
// Request.Write renders the request build makes (the differential tests
// check it), without building the http.Request, its header map, URL and
// formatted lines: at low load that work was a fifth of the agent's CPU
// per request. Requests the fast form does not handle (absolute-form or
// unusual targets, CONNECT, non-ASCII or zoned hosts) are rendered by
// net/http itself. One wire per worker: its buffers are reused.
type wire struct {
	rp     *Replayer
	buf    bytes.Buffer
	fields []wireField
	drop   []string
}

// outgoing is a rendered request: its bytes (valid until the next render),
// its method (to read the response) and whether it may be sent twice.
type outgoing struct {
	bytes      []byte
	method     string
	replayable bool
}

// render renders the request to replay for r (from connection c).
func (w *wire) render(c stream.Conn, r *httpparse.Request) (outgoing, error) {
	w.buf.Reset()
	if ruri, host, ok := w.fastTarget(r); ok {
		idem := w.header(c, r)
		w.write(r, ruri, host)
		return outgoing{bytes: w.buf.Bytes(), method: r.Method, replayable: safeMethod(r.Method) || idem}, nil
	}
	req, err := w.rp.build(context.Background(), c, r)
	if err != nil {
		return outgoing{}, err
	}
	if err := req.Write(&w.buf); err != nil {
		return outgoing{}, err
	}
	return outgoing{bytes: w.buf.Bytes(), method: req.Method, replayable: replayable(req)}, nil
}

// fastTarget gives the request-target and Host line of r when the fast
// form renders it as net/http would; ok false leaves r to net/http.
func (w *wire) fastTarget(r *httpparse.Request) (ruri, host string, ok bool) {
	if !validMethod(r.Method) || r.Method == http.MethodConnect {
		return "", "", false
	}
	switch t := r.Target; {
	case t == "*":
		ruri = "*"
	case strings.HasPrefix(t, "/") && !strings.HasPrefix(w.rp.destPath+t, "//"):
		ruri = w.rp.destPath + t
	default:
		return "", "", false
	}
	if ctlByte(ruri) {
		return "", "", false // net/http refuses it: its error is kept
	}
	host = w.rp.dest.Host
	if w.rp.cfg.KeepHostHeader && r.Host != "" {
		host = r.Host
	}
	if !ascii(host) || strings.Contains(host, "%") || strings.HasSuffix(host, ":") {
		return "", "", false // punycode, zones, empty ports: net/http's rules
	}
	if !httpguts.ValidHostHeader(host) {
		host = "" // as net/http sends it
	}
	return ruri, host, true
}

// header collects the header lines of the request to send as build's
// header does (end-to-end fields, X-Forwarded-*), sorted by name as
// net/http writes them; it says whether an idempotency key is among them.
func (w *wire) header(c stream.Conn, r *httpparse.Request) (idempotent bool) {
	w.fields, w.drop = w.fields[:0], w.drop[:0]
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, "Connection") {
			for tok := range strings.SplitSeq(f.Value, ",") {
				if tok = strings.TrimSpace(tok); tok != "" {
					w.drop = append(w.drop, textproto.CanonicalMIMEHeaderKey(tok))
				}
			}
		}
	}
	for _, f := range r.Header {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		if hopByHop[k] || slices.Contains(w.drop, k) {
			continue
		}
		w.fields = append(w.fields, wireField{k, f.Value})
	}
	forwarded(w.get, w.set, c, r.Host)
	slices.SortStableFunc(w.fields, func(a, b wireField) int { return strings.Compare(a.name, b.name) })
	for _, f := range w.fields {
		if f.name == "Idempotency-Key" || f.name == "X-Idempotency-Key" {
			return true
		}
	}
	return false
}

// get is the first value of the canonical name ("" when absent).
func (w *wire) get(name string) string {
	for _, f := range w.fields {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// set replaces every value of the canonical name with value.
func (w *wire) set(name, value string) {
	w.fields = slices.DeleteFunc(w.fields, func(f wireField) bool { return f.name == name })
	w.fields = append(w.fields, wireField{name, value})
}

// write renders the request line, the header and the body into buf, in
// Request.Write's order: Host, User-Agent, Content-Length, the rest sorted.
func (w *wire) write(r *httpparse.Request, ruri, host string) {
	b := &w.buf
	b.WriteString(r.Method)
	b.WriteByte(' ')
	b.WriteString(ruri)
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(host)
	b.WriteString("\r\n")
	// The client's first User-Agent; none at all when it sent none.
	if ua := w.get("User-Agent"); ua != "" {
		w.line("User-Agent", ua)
	}
	if n := len(r.Body); n > 0 || r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.Itoa(n))
		b.WriteString("\r\n")
	}
	for _, f := range w.fields {
		if f.name == "User-Agent" || !httpguts.ValidHeaderFieldName(f.name) {
			continue
		}
		w.line(f.name, f.value)
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
}

// line writes one header line, its value cleaned as net/http cleans it
// (CR and LF to spaces, then spaces and tabs trimmed).
func (w *wire) line(name, value string) {
	b := &w.buf
	b.WriteString(name)
	b.WriteString(": ")
	v := value
	if strings.ContainsAny(v, "\r\n") {
		v = newlineToSpace.Replace(v) // byte-wise, as net/http's
	}
	b.WriteString(textproto.TrimString(v))
	b.WriteString("\r\n")
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// safeMethod: a method net/http's Transport sends again without an
// idempotency key.
func safeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// validMethod is net/http's check of a method: a non-empty token.
func validMethod(m string) bool {
	return m != "" && strings.IndexFunc(m, func(r rune) bool { return !httpguts.IsTokenRune(r) }) < 0
}

func ctlByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < ' ' || b == 0x7f {
			return true
		}
	}
	return false
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
