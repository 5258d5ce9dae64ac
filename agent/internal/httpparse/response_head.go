package httpparse

import (
	"bytes"
	"strings"
)

// parseField parses one header line "Name: value".
func parseField(line []byte) (Field, error) {
	if line[0] == ' ' || line[0] == '\t' {
		return Field{}, errMalformed // obsolete line folding (RFC 9112 5.2)
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return Field{}, errMalformed
	}
	for _, c := range line[:colon] {
		if !isTChar(c) {
			return Field{}, errMalformed
		}
	}
	value := bytes.Trim(line[colon+1:], " \t")
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return Field{}, errMalformed
		}
	}
	return Field{Name: internResponseName(line[:colon]), Value: string(value)}, nil
}

var responseNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"Date", "Server", "Content-Type", "Content-Length", "Connection",
		"Transfer-Encoding", "Set-Cookie", "Cache-Control", "Etag", "ETag", "Last-Modified", "Expires",
		"Vary", "Age", "Via", "Location", "Keep-Alive", "Content-Encoding", "X-Request-Id",
		"X-Amzn-Trace-Id", "Access-Control-Allow-Origin", "Pragma", "Accept-Ranges",
		"content-type", "content-length", "date", "server", "connection"} {
		m[n] = n
	}
	return m
}()

// internResponseName returns a shared string for common response header
// names: one allocation less per header line.
func internResponseName(b []byte) string {
	if s, ok := responseNames[string(b)]; ok {
		return s
	}
	return string(b)
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func getField(h []Field, name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// lastCodingChunked reports whether chunked is the final transfer coding.
func lastCodingChunked(te string) bool {
	if i := strings.LastIndexByte(te, ','); i >= 0 {
		te = te[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(te), "chunked")
}
