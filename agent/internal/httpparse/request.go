package httpparse

import (
	"strings"
	"time"
)

// Field is one header line, in the order and case it arrived.
type Field struct {
	Name, Value string
}

// Request is one complete request.
type Request struct {
	Method string
	// Target is the request-target as sent (origin-form "/p?q" usually).
	Target string
	// Proto is the version as sent: "HTTP/1.1", "HTTP/1.0" (or another
	// HTTP/1.x, which servers take as HTTP/1.1).
	Proto  string
	Header []Field
	// Host is the value of the Host header ("" when absent).
	Host string
	// Body is the decoded body (chunked coding removed).
	Body []byte
	// Chunked is true when the body arrived with chunked transfer coding.
	Chunked bool
	// Size is the number of bytes the request occupied on the wire.
	Size int
	// Seq is the request's ordinal on its connection (from 1) and Time the
	// capture time of the packet that completed it; both are set by the
	// stream layer when responses are paired with requests.
	Seq  uint64
	Time time.Time
}

// Approximate bytes of a Request beyond its strings and body (the struct,
// allocation rounding), and of each header field beyond its strings.
const (
	requestOverhead = 256
	fieldOverhead   = 48
)

// MemSize approximates the bytes r holds in memory: its strings, header
// fields, body (by capacity) and the structures around them. Budgets charge
// it for a request they keep.
func (r *Request) MemSize() int {
	n := requestOverhead + cap(r.Body) + len(r.Method) + len(r.Target) + len(r.Proto) + len(r.Host) +
		(cap(r.Header)-len(r.Header))*fieldOverhead
	for _, f := range r.Header {
		n += len(f.Name) + len(f.Value) + fieldOverhead
	}
	return n
}

// Get returns the first value of header name (case-insensitive).
func (r *Request) Get(name string) string {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Kind classifies a connection from its first bytes.
type Kind uint8

// Connection kinds.
const (
	Unknown Kind = iota
	HTTP
	TLS
	NotHTTP
)

// String names k.
func (k Kind) String() string {
	switch k {
	case HTTP:
		return "http"
	case TLS:
		return "tls"
	case NotHTTP:
		return "not_http"
	}
	return "unknown"
}

// DropReason says why a request was dropped.
type DropReason uint8

// Reasons a request is dropped by the parser.
const (
	DropGap        DropReason = iota // bytes of the request were lost
	DropMalformed                    // not a valid HTTP/1.x request
	DropTooLarge                     // head or body over the configured limit
	DropIncomplete                   // the connection ended before the request did
	NumDropReasons
)

// String names r as a metric label.
func (r DropReason) String() string {
	switch r {
	case DropGap:
		return "gap"
	case DropMalformed:
		return "malformed"
	case DropTooLarge:
		return "too_large"
	case DropIncomplete:
		return "incomplete"
	}
	return "unknown"
}

// Handler receives what the parser finds. Calls are synchronous, from the
// goroutine that feeds the parser.
type Handler interface {
	// Request is called for each complete request; r is owned by the
	// handler.
	Request(r *Request)
	// Drop is called for each request (or run of bytes that would have held
	// requests) that is dropped.
	Drop(reason DropReason)
	// Classified is called once, when the connection kind is known.
	Classified(k Kind)
}

// Limits bound the memory one connection's parser may hold.
type Limits struct {
	// MaxHeader is the largest request line plus headers (default 64 KiB).
	MaxHeader int
	// MaxBody is the largest body kept for replay (default 10 MiB). Larger
	// bodies are skipped and the request dropped as too large.
	MaxBody int
}

// WithDefaults returns l with its zero fields set to their defaults.
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

func (l Limits) withDefaults() Limits {
	if l.MaxHeader <= 0 {
		l.MaxHeader = 64 << 10
	}
	if l.MaxBody <= 0 {
		l.MaxBody = 10 << 20
	}
	return l
}
