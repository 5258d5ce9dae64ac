package httpparse

import "strconv"

// Response is one HTTP/1.x response, paired by order with the request
// that the caller announced with ResponseParser.Expect.
type Response struct {
	// Seq and Method are those given to Expect for the request this
	// response answers.
	Seq    uint64
	Method string
	Proto  string
	Status int
	Header []Field
	// Body is the decoded body (chunked coding removed), at most
	// Limits.MaxBody bytes of it.
	Body []byte
	// BodyLen is the decoded body's full length (it may exceed len(Body)).
	BodyLen int64
	// BodyCut is true when the body was longer than the cap: Body is only
	// its start.
	BodyCut bool
	// Incomplete is true when bytes of the response were lost (a gap, a
	// truncated capture, the connection ended early): it must not be
	// compared as if whole.
	Incomplete bool
	Chunked    bool
	// Size is the number of bytes the response occupied on the wire, as far
	// as they were seen.
	Size int
}

// Get returns the first value of header name (case-insensitive).
func (r *Response) Get(name string) string { return getField(r.Header, name) }

// Loss says why a request announced with Expect gets no response.
type Loss uint8

// Reasons a request gets no response from the parser.
const (
	LossNoResponse Loss = iota // the connection ended before its response began
	LossDesync                 // bytes were lost where responses cannot be re-paired
	LossMidStream              // the response direction was joined mid-way
	LossMalformed              // the response was not valid HTTP/1.x
	LossTooLarge               // the response head was over the limit
	LossUpgraded               // the connection switched protocols (101, CONNECT)
	LossMemory                 // the memory budget was exhausted
	NumLosses
)

// String names l as a metric label.
func (l Loss) String() string {
	switch l {
	case LossNoResponse:
		return "no_response"
	case LossDesync:
		return "desync"
	case LossMidStream:
		return "mid_stream"
	case LossMalformed:
		return "malformed"
	case LossTooLarge:
		return "too_large"
	case LossUpgraded:
		return "upgraded"
	case LossMemory:
		return "memory"
	}
	return "unknown"
}

// ResponseHandler receives what a ResponseParser finds. Every Expect ends
// in exactly one call, Response or Unanswered, in the order of Expect.
type ResponseHandler interface {
	// Response is called for each response, complete or not (see
	// Response.Incomplete); r is owned by the handler.
	Response(r *Response)
	// Unanswered is called for a request that gets no response.
	Unanswered(seq uint64, l Loss)
}

type rstate uint8

const (
	rHead       rstate = iota // waiting for a status line and headers
	rBody                     // Content-Length body
	rChunkSize                // chunked: waiting for a chunk-size line
	rChunkData                // chunked: in chunk data
	rChunkCRLF                // chunked: the CRLF after chunk data
	rTrailer                  // chunked: trailer lines
	rUntilClose               // body delimited by the end of the connection
	rIgnore                   // desynchronised, upgraded or closed
)

type expected struct {
	seq    uint64
	method string
}

// ResponseParser parses the responses of one connection (the direction
// from the server) and pairs them, by order, with the requests announced
// by Expect. It is not safe for concurrent use; use NewResponseParser.
//
// Responses that arrive before their request is announced wait in the
// buffer (bounded by Limits.MaxHeader), so the result does not depend on
// how the two directions interleave.
type ResponseParser struct {
	lim     Limits
	h       ResponseHandler
	state   rstate
	buf     []byte // unparsed head or chunk line bytes
	pending []expected
	resp    *Response
	remain  int64 // rBody, rChunkData: bytes left
	seen    bool
	lost    Loss // reason given to requests announced after rIgnore
}

// NewResponseParser returns a parser that reports to h.
func NewResponseParser(h ResponseHandler, lim Limits) *ResponseParser {
	return &ResponseParser{h: h, lim: lim.withDefaults()}
}

// Buffered returns the number of bytes the parser holds (buffer and the
// body of the response in progress).
func (p *ResponseParser) Buffered() int {
	n := cap(p.buf)
	if p.resp != nil {
		n += cap(p.resp.Body)
	}
	return n
}

// Pending returns the number of announced requests still without response.
func (p *ResponseParser) Pending() int { return len(p.pending) }

// Expect announces the next request on the connection: its response is the
// next one. seq identifies it in the handler's calls.
func (p *ResponseParser) Expect(seq uint64, method string) {
	if p.state == rIgnore {
		p.h.Unanswered(seq, p.lost)
		return
	}
	p.pending = append(p.pending, expected{seq, method})
	if p.state == rHead && len(p.pending) == 1 && len(p.buf) > 0 {
		p.Feed(nil) // a response was waiting for its request
	}
}

// Desync gives up pairing on this connection: the response in progress is
// reported incomplete and every request announced, now or later, is
// reported unanswered with reason l. The caller uses it when a request was
// lost (its response would be paired with the wrong request).
func (p *ResponseParser) Desync(l Loss) {
	if p.state == rIgnore {
		return
	}
	if p.resp != nil {
		p.resp.Incomplete = true
		p.emit()
	}
	p.buf = nil
	for _, e := range p.pending {
		p.h.Unanswered(e.seq, l)
	}
	p.pending = p.pending[:0]
	p.state, p.lost = rIgnore, l
}

// Gap reports that n bytes (-1: an unknown number) were lost before the
// next Feed.
func (p *ResponseParser) Gap(n int) {
	first := !p.seen
	p.seen = true
	switch p.state {
	case rIgnore:
		return
	case rBody:
		p.resp.Incomplete = true
		if n >= 0 && int64(n) <= p.remain {
			// Framing is known: skip the lost bytes, stay in step.
			p.remain -= int64(n)
			p.resp.BodyLen += int64(n)
			if p.remain == 0 {
				p.emit()
			}
			return
		}
	case rUntilClose:
		p.resp.Incomplete = true
		return
	}
	if first {
		p.Desync(LossMidStream)
		return
	}
	p.Desync(LossDesync)
}

// Close reports the end of the connection.
func (p *ResponseParser) Close() {
	switch p.state {
	case rUntilClose:
		p.emit()
	case rBody, rChunkSize, rChunkData, rChunkCRLF, rTrailer:
		p.resp.Incomplete = true
		p.emit()
	case rHead:
		if len(p.buf) > 0 && len(p.pending) > 0 {
			p.h.Unanswered(p.pending[0].seq, LossMalformed)
			p.pending = p.pending[1:]
		}
	}
	p.Desync(LossNoResponse)
}

// Feed pushes the next reassembled bytes of the response direction. data
// is not retained.
func (p *ResponseParser) Feed(data []byte) {
	p.seen = true
	for len(data) > 0 || p.state == rHead && len(p.buf) > 0 && len(p.pending) > 0 {
		switch p.state {
		case rIgnore:
			return
		case rHead:
			if len(data) > 0 {
				p.buf = append(p.buf, data...)
				data = nil
			}
			if len(p.pending) == 0 {
				if len(p.buf) > p.lim.MaxHeader {
					p.Desync(LossTooLarge)
				}
				return
			}
			rest, ok := p.parseHead()
			if !ok {
				return
			}
			data = rest
		case rBody, rChunkData:
			n := int(min(p.remain, int64(len(data))))
			p.keep(data[:n])
			p.resp.Size += n
			p.remain -= int64(n)
			data = data[n:]
			if p.remain > 0 {
				return
			}
			if p.state == rBody {
				p.emit()
			} else {
				p.state = rChunkCRLF
			}
		case rUntilClose:
			p.keep(data)
			p.resp.Size += len(data)
			data = nil
		case rChunkSize, rChunkCRLF, rTrailer:
			var ok bool
			if data, ok = p.chunkLine(data); !ok {
				return
			}
		}
	}
}

// keep appends body bytes, up to the cap.
func (p *ResponseParser) keep(b []byte) {
	r := p.resp
	r.BodyLen += int64(len(b))
	room := p.lim.MaxBody - len(r.Body)
	if room < len(b) {
		r.BodyCut = true
		b = b[:max(room, 0)]
	}
	r.Body = append(r.Body, b...)
}

// emit reports the response in progress and waits for the next head.
func (p *ResponseParser) emit() {
	r := p.resp
	p.resp = nil
	p.state = rHead
	p.h.Response(r)
}

// parseHead parses a status line and headers at the start of p.buf; it
// returns the bytes after them (aliasing p.buf, which is reset) and false
// when more bytes are needed or the connection was given up.
func (p *ResponseParser) parseHead() ([]byte, bool) {
	lead := 0
	for lead < len(p.buf) && (p.buf[lead] == '\r' || p.buf[lead] == '\n') {
		lead++
	}
	b := p.buf[lead:]
	r, n, err := parseResponseHead(b, p.lim.MaxHeader)
	switch err {
	case nil:
	case errIncomplete:
		return nil, false
	case errTooLarge:
		p.Desync(LossTooLarge)
		return nil, false
	default:
		p.Desync(LossMalformed)
		return nil, false
	}
	rest := b[n:]
	p.buf = p.buf[:0]
	if len(rest) == 0 {
		p.buf = nil // hold nothing between responses
	}
	e := p.pending[0]
	resp := r.Response
	resp.Size = lead + n
	if resp.Status >= 100 && resp.Status < 200 && resp.Status != 101 {
		return rest, true // interim response (100 Continue, 103): the final one follows
	}
	p.pending = p.pending[1:]
	if len(p.pending) == 0 {
		p.pending = p.pending[:0:cap(p.pending)]
	}
	resp.Seq, resp.Method = e.seq, e.method
	p.resp = resp
	switch {
	case resp.Status == 101 || e.method == "CONNECT" && resp.Status < 300:
		p.emit()
		p.Desync(LossUpgraded)
		return nil, false
	case e.method == "HEAD" || resp.Status == 204 || resp.Status == 304:
		p.emit()
	case r.chunked:
		resp.Chunked = true
		p.state = rChunkSize
	case r.length >= 0:
		p.remain = r.length
		p.state = rBody
		if r.length == 0 {
			p.emit()
		}
	default:
		p.state = rUntilClose
	}
	return rest, true
}

// chunkLine reads a chunk-size line, the CRLF after chunk data or a trailer
// line from p.buf and data; it returns the bytes after it.
func (p *ResponseParser) chunkLine(data []byte) ([]byte, bool) {
	var line []byte
	var used int
	if len(p.buf) == 0 {
		l, n := nextLine(data)
		if n < 0 {
			if len(data) > p.lim.MaxHeader {
				p.Desync(LossTooLarge)
				return nil, false
			}
			p.buf = append(p.buf, data...)
			return nil, false
		}
		line, used, data = l, n, data[n:]
	} else {
		// Take bytes up to the next LF only, so data never aliases p.buf.
		i := indexLF(data)
		if i < 0 {
			p.buf = append(p.buf, data...)
			if len(p.buf) > p.lim.MaxHeader {
				p.Desync(LossTooLarge)
			}
			return nil, false
		}
		p.buf = append(p.buf, data[:i+1]...)
		data = data[i+1:]
		line, used = nextLine(p.buf)
	}
	if used > p.lim.MaxHeader {
		// too large however it was cut (a split feed says so before
		// the line's end arrives)
		p.Desync(LossTooLarge)
		return nil, false
	}
	p.resp.Size += used
	p.buf = p.buf[:0]
	if len(data) == 0 {
		p.buf = nil
	}
	switch p.state {
	case rChunkCRLF:
		if len(line) != 0 {
			p.Desync(LossMalformed)
			return nil, false
		}
		p.state = rChunkSize
	case rTrailer:
		if len(line) == 0 {
			p.emit()
		}
	case rChunkSize:
		size, ok := parseChunkSize(line)
		if !ok || size > 1<<62 {
			p.Desync(LossMalformed)
			return nil, false
		}
		if size == 0 {
			p.state = rTrailer
		} else {
			p.remain, p.state = int64(size), rChunkData
		}
	}
	return data, true
}

func indexLF(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

type respHead struct {
	*Response
	chunked bool
	length  int64 // -1: not given
}

// parseResponseHead parses a status line and header fields at the start of b.
func parseResponseHead(b []byte, maxHeader int) (respHead, int, error) {
	var h respHead
	line, n := nextLine(b)
	if n < 0 {
		if !hasHTTPPrefix(b) {
			return h, 0, errMalformed
		}
		if len(b) > maxHeader {
			return h, 0, errTooLarge
		}
		return h, 0, errIncomplete
	}
	// A line ending beyond the limit is too large, whatever it holds: the
	// verdict a split feed gives once the limit is passed without the
	// line's end, so the result does not depend on the cuts.
	if !hasHTTPPrefix(line) {
		return h, 0, errMalformed
	}
	if n > maxHeader {
		return h, 0, errTooLarge
	}
	proto, status, err := parseStatusLine(line)
	if err != nil {
		return h, 0, err
	}
	h.Response = &Response{Proto: proto, Status: status, Header: make([]Field, 0, 8)}
	h.length = -1
	off := n
	var te string
	for {
		if off > maxHeader {
			return h, 0, errTooLarge
		}
		line, n := nextLine(b[off:])
		if n < 0 {
			if len(b) > maxHeader {
				return h, 0, errTooLarge
			}
			return h, 0, errIncomplete
		}
		off += n
		if off > maxHeader {
			return h, 0, errTooLarge
		}
		if len(line) == 0 {
			break
		}
		f, err := parseField(line)
		if err != nil {
			return h, 0, err
		}
		h.Header = append(h.Header, f)
		switch {
		case equalFold(f.Name, "Content-Length"):
			v, err := parseContentLength(f.Value)
			if err != nil || h.length >= 0 && h.length != v {
				return h, 0, errMalformed
			}
			h.length = v
		case equalFold(f.Name, "Transfer-Encoding"):
			if te != "" {
				te += ","
			}
			te += f.Value
		}
	}
	if te != "" {
		// RFC 9112 6.3: Transfer-Encoding overrides Content-Length; a final
		// coding other than chunked is read until the connection closes.
		h.length = -1
		h.chunked = lastCodingChunked(te)
	}
	return h, off, nil
}

// hasHTTPPrefix reports whether b can start with "HTTP/" (as far as b goes).
func hasHTTPPrefix(b []byte) bool {
	const p = "HTTP/"
	for i := 0; i < len(b) && i < len(p); i++ {
		if b[i] != p[i] {
			return false
		}
	}
	return true
}

func parseStatusLine(line []byte) (string, int, error) {
	// HTTP-version SP 3DIGIT SP [reason]; tolerate a missing reason.
	if len(line) < 12 || line[8] != ' ' {
		return "", 0, errMalformed
	}
	var proto string
	switch string(line[:8]) {
	case "HTTP/1.1":
		proto = "HTTP/1.1"
	case "HTTP/1.0":
		proto = "HTTP/1.0"
	default:
		return "", 0, errMalformed
	}
	code := line[9:12]
	if len(line) > 12 && line[12] != ' ' {
		return "", 0, errMalformed
	}
	st, err := strconv.Atoi(string(code))
	if err != nil || st < 100 || st > 999 || code[0] < '1' || code[0] > '9' {
		return "", 0, errMalformed
	}
	return proto, st, nil
}
