package httpparse

import (
	"bytes"
)

type state uint8

const (
	stHead    state = iota // waiting for a request head
	stBody                 // head parsed, Content-Length body pending
	stChunked              // head parsed, chunked body pending
	stSkip                 // skipping the rest of a dropped request
	stResync               // lost track: scanning for the next request line
	stIgnore               // not HTTP: ignore the connection
)

// Parser parses the requests of one connection. It is not safe for
// concurrent use; its zero value is not usable, use New.
type Parser struct {
	lim   Limits
	h     Handler
	kind  Kind
	state state
	buf   []byte
	// Pending request, valid in stBody and stChunked.
	req     *Request
	reqMem  int // MemSize of req without its body
	headLen int
	cl      int  // stBody: body length
	skip    int  // stSkip: bytes still to skip
	coff    int  // stChunked: offset in buf of the next chunk-size line
	trailer bool // stChunked: in the trailer section
	discard bool // stChunked: body too large, decode without keeping
	removed int  // stChunked: wire bytes of chunks already decoded and removed
	tstart  int  // stChunked, in the trailer: offset in buf where it starts
	// stResync: the byte before buf[0] is a method character (so buf[0]
	// cannot start a method token); buf[0] follows a gap (the TLS check
	// of an unclassified connection applies there); buf[0] starts a
	// candidate request line whose first rsWait bytes hold no LF.
	rsPrev  bool
	rsFresh bool
	rsWait  int
	// aliased: buf is the caller's data (during Feed only), not a copy.
	aliased bool
	seen    bool // any byte or gap seen
}

// New returns a parser that reports to h.
func New(h Handler, lim Limits) *Parser {
	return &Parser{h: h, lim: lim.withDefaults()}
}

// Kind returns the connection kind known so far.
func (p *Parser) Kind() Kind { return p.kind }

// Buffered returns the number of bytes the parser holds: its buffer and
// the request in progress (head and decoded body). Call it between Feeds.
func (p *Parser) Buffered() int {
	n := cap(p.buf)
	if p.req != nil {
		n += p.reqMem + cap(p.req.Body)
	}
	return n
}

// Feed pushes the next reassembled bytes of the connection. data is not
// retained.
func (p *Parser) Feed(data []byte) {
	p.seen = true
	if p.state == stIgnore || len(data) == 0 {
		return
	}
	if len(p.buf) == 0 {
		// Fast path: parse in place; only a tail is copied.
		p.buf, p.aliased = data, true
	} else {
		p.buf = append(p.buf, data...)
	}
	p.parse()
	if p.aliased {
		p.aliased = false
		if len(p.buf) > 0 {
			p.buf = append([]byte(nil), p.buf...)
		} else {
			p.buf = nil
		}
	}
}

// Gap reports that n bytes (-1: an unknown number) were lost before the next
// Feed. The request they belong to is dropped.
func (p *Parser) Gap(n int) {
	first := !p.seen
	p.seen = true
	switch p.state {
	case stIgnore:
		return
	case stResync:
		// A candidate line cut by the gap cannot complete.
		p.afterGap()
		return
	case stSkip:
		if n >= 0 && n <= p.skip {
			p.skip -= n
			if p.skip == 0 {
				p.state = stHead
			}
			return
		}
	case stBody:
		p.h.Drop(DropGap)
		rem := p.headLen + p.cl - len(p.buf)
		p.reset()
		if n >= 0 && n <= rem {
			p.skip = rem - n
			p.state = stSkip
			if p.skip == 0 {
				p.state = stHead
			}
			return
		}
		p.afterGap()
		return
	case stHead:
		// A gap at the very start of a capture (connection joined
		// mid-stream) loses no request we could have seen.
		if !first {
			p.h.Drop(DropGap)
		}
	case stChunked:
		p.h.Drop(DropGap)
	}
	p.afterGap()
}

// Close reports the end of the connection; a request in progress is dropped.
func (p *Parser) Close() {
	switch p.state {
	case stBody, stChunked:
		p.h.Drop(DropIncomplete)
	case stHead:
		if len(bytes.TrimLeft(p.buf, "\r\n")) > 0 {
			p.h.Drop(DropIncomplete)
		}
	}
	p.reset()
	p.state = stIgnore
}

func (p *Parser) reset() {
	p.buf, p.aliased = nil, false
	p.req = nil
	p.headLen, p.cl, p.coff, p.skip, p.removed, p.tstart = 0, 0, 0, 0, 0, 0
	p.trailer, p.discard = false, false
	p.rsPrev, p.rsFresh, p.rsWait = false, false, 0
}

func (p *Parser) classify(k Kind) {
	if p.kind == Unknown {
		p.kind = k
		p.h.Classified(k)
	}
}

func (p *Parser) ignore(k Kind) {
	p.classify(k)
	p.reset()
	p.state = stIgnore
}

// consume removes the first n bytes of the buffer.
func (p *Parser) consume(n int) {
	if n >= len(p.buf) {
		p.buf = nil
		return
	}
	if p.aliased {
		p.buf = p.buf[n:]
		return
	}
	rest := len(p.buf) - n
	if rest <= cap(p.buf)/4 {
		// Shrink: do not keep a large array alive for a small remainder.
		nb := make([]byte, rest)
		copy(nb, p.buf[n:])
		p.buf = nb
		return
	}
	p.buf = append(p.buf[:0], p.buf[n:]...)
}

func (p *Parser) parse() {
	for {
		switch p.state {
		case stHead:
			if !p.parseHead() {
				return
			}
		case stBody:
			if len(p.buf) < p.headLen+p.cl {
				return
			}
			p.req.Body = append([]byte(nil), p.buf[p.headLen:p.headLen+p.cl]...)
			p.emit(p.headLen + p.cl)
		case stChunked:
			if !p.parseChunks() {
				return
			}
		case stSkip:
			n := min(p.skip, len(p.buf))
			p.skip -= n
			p.consume(n)
			if p.skip > 0 {
				return
			}
			p.state = stHead
		case stResync:
			if !p.resync() {
				return
			}
		default:
			return
		}
	}
}

func (p *Parser) emit(size int) {
	r := p.req
	r.Size = size + p.removed
	p.removed = 0
	p.req = nil
	p.consume(size)
	p.state = stHead
	p.headLen, p.cl, p.coff = 0, 0, 0
	p.trailer, p.discard = false, false
	p.h.Request(r)
}

// parseHead parses a request head at the start of the buffer; it reports
// whether progress was made.
func (p *Parser) parseHead() bool {
	// RFC 9112 2.2: ignore empty lines before a request-line.
	lead := 0
	for lead < len(p.buf) && (p.buf[lead] == '\r' || p.buf[lead] == '\n') {
		lead++
	}
	if lead > 0 {
		p.consume(lead)
	}
	if len(p.buf) == 0 {
		return false
	}
	if p.kind == Unknown {
		switch tlsStart(p.buf) {
		case maybe:
			return false
		case yes:
			p.ignore(TLS)
			return false
		}
		switch plausibleStart(p.buf) {
		case maybe:
			return false
		case no:
			p.ignore(NotHTTP)
			return false
		}
	}
	req, headLen, err := parseHead(p.buf, p.lim.MaxHeader)
	if err == errIncomplete {
		return false
	}
	if err != nil {
		if p.kind == Unknown {
			p.ignore(NotHTTP)
			return false
		}
		if err == errTooLarge {
			p.h.Drop(DropTooLarge)
		} else {
			p.h.Drop(DropMalformed)
		}
		// Look for the next request line after this head's first byte.
		p.resyncFrom(1, isMethodChar(p.buf[0]))
		return true
	}
	p.classify(HTTP)
	p.req = req.Request
	p.reqMem = p.req.MemSize()
	p.headLen = headLen
	switch {
	case req.chunked:
		p.state = stChunked
		p.coff = headLen
	case req.length > int64(p.lim.MaxBody):
		p.h.Drop(DropTooLarge)
		p.req = nil
		p.consume(headLen)
		p.skip = int(min(req.length, 1<<62))
		p.state = stSkip
	default:
		p.cl = int(req.length)
		p.state = stBody
	}
	return true
}

// parseChunks decodes as many chunks as are buffered; it reports whether
// the request completed or failed (progress for the parse loop).
func (p *Parser) parseChunks() bool {
	for {
		// A line whose LF lies beyond MaxHeader bytes (counted from the
		// trailer's start in the trailer) is too large, decided alike
		// whether or not its LF is buffered yet.
		from := p.coff
		if p.trailer {
			from = p.tstart
		}
		line, n := nextLine(p.buf[p.coff:])
		if n < 0 && len(p.buf)-from > p.lim.MaxHeader || n >= 0 && p.coff+n-1-from > p.lim.MaxHeader {
			return p.chunkFail(DropTooLarge)
		}
		if n < 0 {
			return false
		}
		if p.trailer {
			p.coff += n
			if len(line) == 0 {
				p.req.Chunked = true
				p.emit(p.coff)
				return true
			}
			continue
		}
		size, ok := parseChunkSize(line)
		if !ok {
			return p.chunkFail(DropMalformed)
		}
		if size == 0 {
			p.coff += n
			p.trailer = true
			p.tstart = p.coff
			continue
		}
		need := p.coff + n + int(size) + 2
		if size > int64(p.lim.MaxBody) || need < 0 {
			return p.chunkFail(DropTooLarge)
		}
		if len(p.buf) < need {
			return false
		}
		data := p.buf[p.coff+n : p.coff+n+int(size)]
		if crlf := p.buf[need-2 : need]; crlf[0] != '\r' || crlf[1] != '\n' {
			return p.chunkFail(DropMalformed)
		}
		if !p.discard {
			if len(p.req.Body)+len(data) > p.lim.MaxBody {
				return p.chunkFail(DropTooLarge)
			}
			p.req.Body = append(p.req.Body, data...)
		}
		// Drop the consumed chunk from the buffer so that a long chunked
		// body is held only once (decoded), not twice. (Not while parsing
		// the caller's data in place: that is not ours to write.)
		if p.aliased {
			p.coff = need
			continue
		}
		p.removed += need - p.coff
		p.buf = append(p.buf[:p.headLen], p.buf[need:]...)
		p.coff = p.headLen
	}
}

// chunkFail drops the chunked request and scans for the next request line
// from the line that failed on (its first byte follows an LF).
func (p *Parser) chunkFail(r DropReason) bool {
	p.h.Drop(r)
	p.resyncFrom(p.coff, false)
	return true
}

// Abort drops whatever the parser holds (the caller counts why, e.g. a
// global memory cap) and scans what follows for the next request line.
// It reports whether a request was in progress.
func (p *Parser) Abort() bool {
	if p.state == stIgnore {
		return false
	}
	pending := p.state == stBody || p.state == stChunked || p.state == stHead && len(p.buf) > 0
	p.afterGap()
	return pending
}
