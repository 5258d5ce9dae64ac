package compare

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

// Response is one side of a comparison.
type Response struct {
	Status int
	Header []httpparse.Field
	Body   []byte
	// BodyCut: Body is only the start of a longer body (over the cap); the
	// body is then not compared.
	BodyCut bool
	// Incomplete: bytes of the response were lost; it is not compared.
	Incomplete bool
	Latency    time.Duration
}

// Kind is the kind of a difference.
type Kind uint8

// Kinds of difference, in the order they are reported.
const (
	KindStatus Kind = iota
	KindHeader
	KindBody
	NumKinds
)

// String names k.
func (k Kind) String() string {
	switch k {
	case KindStatus:
		return "status"
	case KindHeader:
		return "header"
	case KindBody:
		return "body"
	}
	return "unknown"
}

// Diff is one differing field.
type Diff struct {
	Kind Kind
	// Field is the header name (lower case), the JSON path (".a.b[2]") or
	// "" (status, or a whole non-JSON body).
	Field string
	// Prod and Test are the two values, cut to a few dozen bytes.
	Prod, Test string
}

// Key names the field for noise bookkeeping: array indices fold to "[]".
func (d Diff) Key() string {
	switch d.Kind {
	case KindStatus:
		return "status"
	case KindHeader:
		return "header " + d.Field
	}
	if d.Field == "" {
		return "body"
	}
	return "body " + foldIndices(d.Field)
}

// String describes d, e.g. `body .price: 10 != 12`.
func (d Diff) String() string {
	name := d.Kind.String()
	if d.Field != "" {
		name += " " + d.Field
	}
	return name + ": " + d.Prod + " != " + d.Test
}

func foldIndices(p string) string {
	if strings.IndexByte(p, '[') < 0 {
		return p
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '[':
			in = true
			b.WriteString("[]")
		case c == ']':
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// DefaultIgnoredHeaders differ on every response or describe the
// connection, not the answer.
var DefaultIgnoredHeaders = []string{
	"Date", "Server", "Set-Cookie", "X-Request-Id", "Age", "ETag", "Last-Modified", "Expires", "Via",
	"X-Amzn-Trace-Id", "X-Amz-Cf-Id", "X-Amz-Request-Id", "X-Correlation-Id", "X-Runtime",
	"X-Response-Time", "Cf-Ray", "Report-To", "Nel", "Alt-Svc", "Connection", "Keep-Alive",
	"Transfer-Encoding", "Content-Length",
}

const maxValue = 64

func cut(s string) string {
	if len(s) <= maxValue {
		return s
	}
	return s[:maxValue] + "…"
}

// maxDiffs bounds the differences collected for one pair.
const maxDiffs = 16

// diff appends the differences between a and b to dst.
func (c *Comparer) diff(dst []Diff, a, b *Response) []Diff {
	if a.Status != b.Status {
		dst = append(dst, Diff{Kind: KindStatus, Prod: strconv.Itoa(a.Status), Test: strconv.Itoa(b.Status)})
	}
	dst = c.headerDiff(dst, a.Header, b.Header)
	if a.BodyCut || b.BodyCut || bytes.Equal(a.Body, b.Body) {
		return dst
	}
	if isJSON(a) && isJSON(b) {
		if out, ok := c.jsonDiff(dst, a.Body, b.Body); ok {
			return out
		}
	}
	return append(dst, Diff{Kind: KindBody, Prod: cut(string(a.Body)), Test: cut(string(b.Body))})
}

// headerDiff appends a difference for each header name of a (first
// occurrence, not ignored) whose values differ in b, then for each name
// of b missing from a.
func (c *Comparer) headerDiff(dst []Diff, a, b []httpparse.Field) []Diff {
	for i, f := range a {
		if len(dst) >= maxDiffs {
			return dst
		}
		if c.ignoredHeader(f.Name) || seenBefore(a[:i], f.Name) {
			continue
		}
		if va, vb, same := sameValues(a, b, f.Name); !same {
			dst = append(dst, Diff{Kind: KindHeader, Field: strings.ToLower(f.Name), Prod: cut(va), Test: cut(vb)})
		}
	}
	for i, f := range b {
		if len(dst) >= maxDiffs {
			return dst
		}
		if c.ignoredHeader(f.Name) || seenBefore(b[:i], f.Name) || seenBefore(a, f.Name) {
			continue
		}
		dst = append(dst, Diff{Kind: KindHeader, Field: strings.ToLower(f.Name), Test: cut(f.Value)})
	}
	return dst
}

func seenBefore(h []httpparse.Field, name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// sameValues compares the sequence of values of name in a and b; on a
// difference it returns the first differing values ("" when missing).
func sameValues(a, b []httpparse.Field, name string) (string, string, bool) {
	i, j := 0, 0
	for {
		for i < len(a) && !strings.EqualFold(a[i].Name, name) {
			i++
		}
		for j < len(b) && !strings.EqualFold(b[j].Name, name) {
			j++
		}
		switch {
		case i == len(a) && j == len(b):
			return "", "", true
		case i == len(a):
			return "", b[j].Value, false
		case j == len(b):
			return a[i].Value, "", false
		case a[i].Value != b[j].Value:
			return a[i].Value, b[j].Value, false
		}
		i++
		j++
	}
}

func (c *Comparer) ignoredHeader(name string) bool {
	for _, n := range c.ignoreHdr {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func isJSON(r *Response) bool {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, "Content-Type") {
			return strings.Contains(strings.ToLower(f.Value), "json")
		}
	}
	b := bytes.TrimLeft(r.Body, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}
