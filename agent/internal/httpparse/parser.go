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
	stResync               // lost track after a gap: scanning for the next request line
	stIgnore               // not HTTP, or closed: ignore the connection
	stStop                 // production closed the connection: ignore the rest
)

// Phases of a chunked body.
const (
	cphSize    uint8 = iota // a chunk-size line
	cphData                 // chunk data (cleft bytes to go)
	cphCRLF                 // the CRLF after chunk data
	cphTrailer              // the trailer section
)

// Limits net/http puts on a chunked body: a chunk-size line (without its
// CRLF) shorter than maxChunkLine, overhead beyond 16 bytes plus twice the
// data per chunk at most maxChunkExcess, a trailer whose end (CRLF CRLF)
// lies within maxTrailerPeek bytes.
const (
	maxChunkLine   = 4096
	maxChunkExcess = 16 << 10
	maxTrailerPeek = 4096
)

// Parser parses the requests of one connection. It is not safe for
// concurrent use; its zero value is not usable, use New.
type Parser struct {
	lim   Limits
	h     Handler
	kind  Kind
	state state
	buf   []byte
	// Pending request, valid in stBody and stChunked; size counts its wire
	// bytes consumed so far, closeAfter says production closes the
	// connection once it is answered.
	req        *Request
	reqMem     int
	size       int
	closeAfter bool
	left       int64 // stBody: body bytes to go
	skip       int   // stSkip: bytes still to skip
	// stChunked.
	cph     uint8
	cleft   uint64 // data bytes left in the current chunk
	excess  int64  // net/http's overhead account
	discard bool   // body too large: decode without keeping
	// Before a request line: CR/LF bytes skipped (net/http skips up to 4,
	// and only after a POST).
	lead     int
	lastPOST bool
	// pstart: the first pstart bytes of an unclassified connection are
	// token characters (plausibleStart need not scan them again).
	pstart int
	// uncertain: the position in the stream is a guess (after a gap, until
	// a head parses): a head that does not parse there is not a request
	// production refused, and the scan goes on.
	uncertain bool
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
	if p.state == stIgnore || p.state == stStop || len(data) == 0 {
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
// Feed. The request they belong to is dropped. Only a gap makes the parser
// look for the next request line: what follows lost bytes of unknown
// extent can be anywhere in a request.
func (p *Parser) Gap(n int) {
	first := !p.seen
	p.seen = true
	switch p.state {
	case stIgnore, stStop:
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
		// parse took every buffered byte into the body: left is what is
		// still to come.
		p.h.Drop(DropGap)
		rem := p.left
		p.reset()
		if n >= 0 && int64(n) <= rem {
			p.skip = int(rem - int64(n))
			p.state = stSkip
			if p.skip == 0 {
				p.state = stHead
			}
			return
		}
		p.afterGap()
		return
	case stHead:
		// A gap at the very start of a capture joined mid-stream (n < 0)
		// loses no request we could have seen; lost bytes of a known
		// extent are a request's.
		if !first || n >= 0 {
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

// reset forgets the request in progress and the buffer.
func (p *Parser) reset() {
	p.buf, p.aliased, p.pstart = nil, false, 0
	p.clearReq()
	p.rsPrev, p.rsFresh, p.rsWait = false, false, 0
}

func (p *Parser) clearReq() {
	p.req = nil
	p.reqMem, p.size, p.left, p.skip, p.lead = 0, 0, 0, 0, 0
	p.cph, p.cleft, p.excess = cphSize, 0, 0
	p.closeAfter, p.discard = false, false
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

// stop ends the connection's parsing where production closes it: after a
// request it refused (counted as dropped for reason r) or after the last
// request it serves on the connection.
func (p *Parser) stop(r DropReason, drop bool) {
	if drop {
		p.h.Drop(r)
	}
	p.reset()
	p.state = stStop
}

// consume removes the first n bytes of the buffer.
func (p *Parser) consume(n int) {
	p.pstart = 0
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

// take consumes n bytes of the request in progress.
func (p *Parser) take(n int) {
	p.size += n
	p.consume(n)
}

func (p *Parser) parse() {
	for {
		var more bool
		switch p.state {
		case stHead:
			more = p.parseHead()
		case stBody:
			more = p.parseBody()
		case stChunked:
			more = p.parseChunks()
		case stSkip:
			n := min(p.skip, len(p.buf))
			p.skip -= n
			p.consume(n)
			if more = p.skip == 0; more {
				p.state = stHead
			}
		case stResync:
			more = p.resync()
		}
		if !more {
			return
		}
	}
}

// parseBody takes Content-Length body bytes as they come.
func (p *Parser) parseBody() bool {
	n := int(min(p.left, int64(len(p.buf))))
	if n > 0 {
		if p.req.Body == nil {
			// Not the declared length at once: the memory budget is
			// charged as bytes arrive, not as a client announces them.
			p.req.Body = make([]byte, 0, min(p.left, 32<<10))
		}
		p.req.Body = append(p.req.Body, p.buf[:n]...)
		p.take(n)
		p.left -= int64(n)
	}
	if p.left > 0 {
		return false
	}
	p.emit()
	return true
}

// emit hands the completed request over; when production closes the
// connection after it, the rest of the connection is ignored.
func (p *Parser) emit() {
	r := p.req
	r.Size = p.size
	closeAfter := p.closeAfter
	if p.discard {
		p.h.Drop(DropTooLarge)
	}
	discard := p.discard
	p.clearReq()
	p.state = stHead
	if !discard {
		p.h.Request(r)
	}
	if closeAfter {
		p.stop(0, false)
	}
}

// skipLead skips the CR/LF net/http tolerates before a request line: up
// to four bytes after a POST (RFC 9112 2.2 tolerance for old clients),
// none otherwise. It reports false when it needs more bytes.
func (p *Parser) skipLead() bool {
	for p.lastPOST && p.lead < 4 && len(p.buf) > 0 && (p.buf[0] == '\r' || p.buf[0] == '\n') {
		p.lead++
		p.consume(1)
	}
	return len(p.buf) > 0
}

// parseHead parses a request head at the start of the buffer; it reports
// whether progress was made.
func (p *Parser) parseHead() bool {
	if !p.skipLead() {
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
		switch plausibleStart(p.buf, p.pstart, p.lim.MaxHeader) {
		case maybe:
			p.pstart = len(p.buf) // scan only new bytes next time
			return false
		case no:
			p.ignore(NotHTTP)
			return false
		}
	}
	h, headLen, err := parseHead(p.buf, p.lim.MaxHeader)
	switch {
	case err == errIncomplete:
		return false
	case err != nil:
		return p.headFailed(err)
	}
	p.classify(HTTP)
	p.uncertain = false
	p.lastPOST = h.Method == "POST"
	if h.reject {
		// net/http answers 417 and closes.
		p.stop(DropMalformed, true)
		return false
	}
	p.req = h.Request
	p.reqMem = p.req.MemSize()
	p.closeAfter = h.close
	p.take(headLen)
	switch {
	case h.chunked:
		p.state = stChunked
	case h.length > int64(p.lim.MaxBody):
		p.h.Drop(DropTooLarge)
		closeAfter := p.closeAfter
		p.clearReq()
		p.skip = int(min(h.length, 1<<62))
		p.state = stSkip
		if closeAfter {
			p.stop(0, false)
		}
	default:
		p.left = h.length
		p.state = stBody
	}
	return true
}

// headFailed handles a head that does not parse. In step with the stream,
// it is a request production refuses (and closes the connection on): the
// connection stops there, nothing in it after is a request. After a gap,
// the head is only a candidate: the scan for a request line goes on.
func (p *Parser) headFailed(err error) bool {
	if p.uncertain {
		p.resyncFrom(1, isMethodChar(p.buf[0]))
		return true
	}
	if p.kind == Unknown && err == errBadLine {
		p.ignore(NotHTTP)
		return false
	}
	p.classify(HTTP)
	r := DropMalformed
	if err == errTooLarge {
		r = DropTooLarge
	}
	p.stop(r, true)
	return false
}

// parseChunks decodes the chunked body as far as it is buffered (RFC 9112
// 7.1, with net/http's limits); it reports whether the request completed
// or failed (progress for the parse loop). A body over MaxBody is decoded
// to its end without being kept, so the next request is found.
func (p *Parser) parseChunks() bool {
	for {
		var ok, done bool
		switch p.cph {
		case cphSize:
			ok, done = p.chunkSize()
		case cphData:
			ok, done = p.chunkData(), false
		case cphCRLF:
			if len(p.buf) < 2 {
				return false
			}
			if p.buf[0] != '\r' || p.buf[1] != '\n' {
				return p.chunkFail()
			}
			p.take(2)
			p.cph, ok = cphSize, true
		case cphTrailer:
			ok, done = p.trailer()
		}
		switch {
		case done:
			p.req.Chunked = true
			p.emit()
			return true
		case p.state != stChunked:
			return false // failed: stopped
		case !ok:
			return false
		}
	}
}

// chunkSize reads a chunk-size line: it must end in CRLF and hold no
// other CR.
func (p *Parser) chunkSize() (ok, done bool) {
	// net/http reads the line into its 4 KiB buffer: its LF must lie
	// within the first maxChunkLine bytes.
	i := bytes.IndexByte(p.buf[:min(len(p.buf), maxChunkLine)], '\n')
	if i < 0 {
		if len(p.buf) >= maxChunkLine {
			p.chunkFail()
		}
		return false, false
	}
	line := p.buf[:i+1]
	if cr := bytes.IndexByte(line, '\r'); len(line) < 2 || cr != len(line)-2 {
		p.chunkFail()
		return false, false
	}
	size, valid := parseChunkSize(line[:len(line)-2])
	if !valid {
		p.chunkFail()
		return false, false
	}
	// net/http's overhead account, with its int64 arithmetic.
	p.excess += int64(len(line)) - (16 + 2*int64(size))
	p.excess = max(p.excess, 0)
	if p.excess > maxChunkExcess {
		p.chunkFail()
		return false, false
	}
	p.take(len(line))
	if size == 0 {
		p.cph = cphTrailer
		return true, false
	}
	p.cph, p.cleft = cphData, size
	return true, false
}

// chunkData takes chunk data as it comes.
func (p *Parser) chunkData() bool {
	n := int(min(p.cleft, uint64(len(p.buf))))
	if n == 0 {
		return false
	}
	if !p.discard && len(p.req.Body)+n > p.lim.MaxBody {
		p.discard = true
		p.req.Body = nil
	}
	if !p.discard {
		p.req.Body = append(p.req.Body, p.buf[:n]...)
	}
	p.take(n)
	p.cleft -= uint64(n)
	if p.cleft == 0 {
		p.cph = cphCRLF
	}
	return true
}

// trailer reads the trailer section: CRLF alone, or field lines whose
// section ends by CRLF CRLF within maxTrailerPeek bytes (net/http's
// check) and parse as a header section.
func (p *Parser) trailer() (ok, done bool) {
	if len(p.buf) < 2 {
		return false, false
	}
	if p.buf[0] == '\r' && p.buf[1] == '\n' {
		p.take(2)
		return true, true
	}
	if !bytes.Contains(p.buf[:min(len(p.buf), maxTrailerPeek)], []byte("\r\n\r\n")) {
		if len(p.buf) >= maxTrailerPeek {
			p.chunkFail()
		}
		return false, false
	}
	if p.buf[0] == ' ' || p.buf[0] == '\t' {
		p.chunkFail()
		return false, false
	}
	off := 0
	for {
		_, _, next, empty, err := fieldLine(p.buf, off, len(p.buf), nil, true)
		if err != nil {
			p.chunkFail()
			return false, false
		}
		off = next
		if empty {
			p.take(off)
			return true, true
		}
	}
}

// chunkFail: a broken chunked body; net/http fails the request and closes
// the connection.
func (p *Parser) chunkFail() bool {
	p.stop(DropMalformed, true)
	return false
}

// Abort drops whatever the parser holds (the caller counts why, e.g. a
// global memory cap) and scans what follows for the next request line.
// It reports whether a request was in progress.
func (p *Parser) Abort() bool {
	if p.state == stIgnore || p.state == stStop {
		return false
	}
	pending := p.state == stBody || p.state == stChunked || p.state == stHead && len(p.buf) > 0
	p.afterGap()
	return pending
}
