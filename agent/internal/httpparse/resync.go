package httpparse

import (
	"bytes"
)

// Resynchronisation: after a gap (and only then: a head or body that
// does not parse, seen whole, is one production refuses), the parser scans for the next plausible request line, deciding
// each candidate only once the bytes that decide it are buffered, so that
// the outcome does not depend on how the stream is cut into Feeds.

// maxMethod is the longest method token a connection may start with, or
// that resynchronisation accepts.
const maxMethod = 24

// tri is the answer of a check on a prefix of the stream: it may need more
// bytes to decide.
type tri uint8

const (
	no tri = iota
	yes
	maybe
)

// plausibleStart says whether b can be the start of a request line: a
// method token then a space, checked from b[from:] on (the bytes before
// are known to be token characters) and within the first max bytes.
func plausibleStart(b []byte, from, max int) tri {
	for i := from; i < len(b); i++ {
		c := b[i]
		if c == ' ' {
			if i > 0 {
				return yes
			}
			return no
		}
		if !isTChar(c) || i >= max {
			return no
		}
	}
	return maybe
}

// requestLineAt says whether b starts with a plausible request line:
// method token, SP, target, SP, HTTP/1.0 or HTTP/1.1, then CRLF or LF (as
// parseRequestLine accepts), with the LF within the first maxLine+1 bytes.
// It answers maybe only when b ends before that LF and is not yet longer.
func requestLineAt(b []byte, maxLine int) tri {
	more := func() tri {
		if len(b) > maxLine {
			return no
		}
		return maybe
	}
	i := 0
	for i < len(b) && isMethodChar(b[i]) {
		if i++; i > maxMethod {
			return no
		}
	}
	if i == len(b) {
		return more()
	}
	if i == 0 || b[i] != ' ' {
		return no
	}
	i++
	t := i
	for i < len(b) && b[i] > ' ' && b[i] != 0x7f {
		i++
	}
	if i == len(b) {
		return more()
	}
	if i == t || b[i] != ' ' {
		return no
	}
	i++
	const proto = "HTTP/1."
	for k := 0; k < len(proto); k++ {
		if i == len(b) {
			return more()
		}
		if b[i] != proto[k] {
			return no
		}
		i++
	}
	if i == len(b) {
		return more()
	}
	if b[i] != '0' && b[i] != '1' {
		return no
	}
	i++
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i == len(b) {
		return more()
	}
	if b[i] != '\n' || i > maxLine {
		return no
	}
	return yes
}

// tlsStart says whether b starts a TLS record: handshake (0x16) or alert
// (0x15), version 3.x; or an SSLv2 hello (a length byte with the top bit
// set, then type 1).
func tlsStart(b []byte) tri {
	if len(b) == 0 {
		return maybe
	}
	switch {
	case b[0] == 0x16 || b[0] == 0x15:
		if len(b) < 2 {
			return maybe
		}
		if b[1] == 0x03 {
			return yes
		}
	case b[0]&0x80 != 0:
		if len(b) < 3 {
			return maybe
		}
		if b[2] == 0x01 {
			return yes
		}
	}
	return no
}

// resync scans the buffer for the next plausible request line (see
// requestLineAt) at a token boundary, and reports whether one starts the
// buffer now. Bytes before it are discarded. The scan depends only on the
// bytes, never on where one Feed ended: a candidate line cut by the end of
// the buffer is kept and decided when its LF (or MaxHeader bytes) arrive.
func (p *Parser) resync() bool {
	if p.rsFresh {
		if p.kind == Unknown {
			switch tlsStart(p.buf) {
			case maybe:
				return false
			case yes:
				p.ignore(TLS)
				return false
			}
		}
		p.rsFresh = false
	}
	if p.rsWait > 0 {
		// The candidate at buf[0] is still cut: look at the new bytes only.
		if len(p.buf) <= p.lim.MaxHeader && bytes.IndexByte(p.buf[p.rsWait:], '\n') < 0 {
			p.rsWait = len(p.buf)
			return false
		}
		p.rsWait = 0
	}
	b := p.buf
	prev := p.rsPrev
	for i, c := range b {
		m := isMethodChar(c)
		if m && !prev {
			switch requestLineAt(b[i:], p.lim.MaxHeader) {
			case yes:
				p.consume(i + knownMethodSuffix(b[i:]))
				p.rsPrev = false
				p.state = stHead
				return true
			case maybe:
				p.consume(i)
				p.rsPrev = false
				p.rsWait = len(p.buf)
				return false
			}
		}
		prev = m
	}
	p.consume(len(b))
	p.rsPrev = prev
	return false
}

// knownMethodSuffix returns where a standard method starts in the method
// token at the start of line when the token is not one itself but ends with
// one: a request that follows a body ending in upper-case letters or digits
// of hex ("...ABCDEFPOST /x HTTP/1.1") starts at its own method.
func knownMethodSuffix(line []byte) int {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 || standardMethod(line[:sp]) {
		return 0
	}
	for k := 1; k < sp; k++ {
		if standardMethod(line[k:sp]) {
			return k
		}
	}
	return 0
}

func standardMethod(m []byte) bool {
	switch string(m) {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return true
	}
	return false
}

// resyncFrom drops the request in progress and scans for the next request
// line from buf[off:] on; prev says whether buf[off-1] is a method character.
func (p *Parser) resyncFrom(off int, prev bool) {
	p.clearReq()
	p.consume(off)
	p.state = stResync
	p.rsPrev, p.rsFresh, p.rsWait = prev, false, 0
}

// afterGap drops what the parser holds and scans for the next request line
// from the first byte after the gap on.
func (p *Parser) afterGap() {
	p.reset()
	p.state = stResync
	p.rsFresh = true
	p.uncertain = true
}

// CountRequestLines counts the plausible request lines that start in b
// (at its start or at a later token boundary, complete within b), as the
// resynchronising scan finds them. It estimates the requests in a segment
// that is not parsed (a connection refused for lack of room): a request
// line cut by the end of b is not counted, a line a body happens to contain
// is, and so is a retransmitted copy.
func CountRequestLines(b []byte, maxHeader int) int {
	n := 0
	prev := false
	for i := 0; i < len(b); i++ {
		m := isMethodChar(b[i])
		if m && !prev && requestLineAt(b[i:], maxHeader) == yes {
			n++
			// Skip the line: its target and protocol are not new starts.
			j := bytes.IndexByte(b[i:], '\n')
			i += j
			prev = false
			continue
		}
		prev = m
	}
	return n
}
