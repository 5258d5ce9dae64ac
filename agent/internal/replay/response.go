package replay

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
)

// response is what the agent uses of a reply: its status, whether the
// connection must be closed after it, its body, and (for OnResult only)
// its header. The common shapes (HTTP/1.1, a final status with a body
// framed by one Content-Length or by chunked coding, plain header lines)
// are read by respReader without net/http; anything else by
// http.ReadResponse, whose answer std then holds.
type response struct {
	status int
	close  bool
	body   io.Reader
	// head is the header block (lines after the status line) of a reply
	// read by respReader; std the reply net/http read.
	head []byte
	std  *http.Response
}

// respReader reads replies on one connection; its buffers are reused
// from reply to reply (a worker reads one at a time).
type respReader struct {
	head    []byte
	resp    response
	length  lengthBody
	chunked chunkedBody
}

// read reads the head of the next final reply from br (1xx interim
// replies skipped, as before) to a request of the given method. The
// result is valid until the next call.
func (rr *respReader) read(br *bufio.Reader, method string) (*response, error) {
	for {
		r, err := rr.readOne(br, method)
		if err != nil {
			return nil, err
		}
		if r.status < 100 || r.status > 199 || r.status == http.StatusSwitchingProtocols {
			return r, nil
		}
	}
}

func (rr *respReader) readOne(br *bufio.Reader, method string) (*response, error) {
	r := &rr.resp
	*r = response{}
	if method != http.MethodHead {
		if h, ok := peekHead(br); ok {
			if f, ok := parseHead(h); ok {
				rr.head = append(rr.head[:0], h[f.headerStart:]...)
				_, _ = br.Discard(len(h)) // buffered: cannot fail
				r.status, r.close, r.head = f.status, f.close, rr.head
				if f.chunked {
					rr.chunked = chunkedBody{br: br, cr: httputil.NewChunkedReader(br)}
					r.body = &rr.chunked
				} else {
					rr.length = lengthBody{br: br, n: f.length}
					r.body = &rr.length
				}
				return r, nil
			}
		}
	}
	std, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	r.status, r.close, r.body, r.std = std.StatusCode, std.Close, std.Body, std
	return r, nil
}

// peekHead returns the buffered head of the reply at br (through its
// blank line) without consuming it, reading more while every complete
// line so far is one parseHead accepts (so it waits only where
// net/http would wait too). ok is false when the fast path cannot be
// taken (a line it does not handle, an error, or a head longer than the
// buffer); nothing is consumed then.
func peekHead(br *bufio.Reader) ([]byte, bool) {
	for {
		buf, _ := br.Peek(br.Buffered())
		end, good := scanHead(buf)
		if !good {
			return nil, false
		}
		if end > 0 {
			return buf[:end], true
		}
		if len(buf) >= br.Size() {
			return nil, false
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return nil, false
		}
	}
}

// scanHead finds the end of a head made of CRLF-terminated lines without
// control bytes, none but the first starting with white space. end is 0
// while it is incomplete; good is false for anything else.
func scanHead(buf []byte) (end int, good bool) {
	for i := 0; ; {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0, true
		}
		line := buf[i : i+j]
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return 0, false
		}
		line = line[:len(line)-1]
		if i > 0 && len(line) == 0 {
			return i + j + 1, true
		}
		if (i > 0 && (line[0] == ' ' || line[0] == '\t')) || !plainText(line) {
			return 0, false
		}
		i += j + 1
	}
}

// plainText: no control bytes but tab.
func plainText(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// headFacts is what parseHead learns from a head.
type headFacts struct {
	status      int
	close       bool
	chunked     bool
	length      int64
	headerStart int // offset of the first header line
}

// parseHead reads a head scanHead accepted; ok is false unless it is a
// shape net/http reads as this reader does: "HTTP/1.1", a final status
// that has a body, either one valid Content-Length or Transfer-Encoding
// chunked alone, token names, Connection only "close" or "keep-alive",
// and none of the headers net/http rewrites (Pragma, Trailer).
func parseHead(h []byte) (f headFacts, ok bool) {
	line, rest, _ := bytes.Cut(h, []byte("\r\n"))
	f.headerStart = len(line) + 2
	st, found := bytes.CutPrefix(line, []byte("HTTP/1.1 "))
	if !found || len(st) < 3 || (len(st) > 3 && st[3] != ' ') {
		return f, false
	}
	for _, c := range st[:3] {
		if c < '0' || c > '9' {
			return f, false
		}
		f.status = f.status*10 + int(c-'0')
	}
	if f.status < 200 || f.status == http.StatusNoContent || f.status == http.StatusNotModified || f.status > 599 {
		return f, false
	}
	lengths := 0
	for len(rest) > 2 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, found := bytes.Cut(line, []byte(":"))
		if !found || !tokenOnly(name) {
			return f, false
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(name, "content-length"):
			lengths++
			if f.length, ok = parseLength(value); !ok {
				return f, false
			}
		case asciiEqualFold(name, "transfer-encoding"):
			if f.chunked || !asciiEqualFold(value, "chunked") {
				return f, false
			}
			f.chunked = true
		case asciiEqualFold(name, "connection"):
			c := asciiEqualFold(value, "close")
			if !c && !asciiEqualFold(value, "keep-alive") {
				return f, false
			}
			f.close = f.close || c
		case asciiEqualFold(name, "pragma"), asciiEqualFold(name, "trailer"):
			return f, false
		}
	}
	if f.chunked == (lengths == 1) || lengths > 1 {
		return f, false
	}
	return f, true
}

func tokenOnly(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || !isTokenByte[c] {
			return false
		}
	}
	return true
}

var isTokenByte = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// parseLength accepts 1 to 18 digits (always within net/http's 63 bits).
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// fields lists r's header as the agent reports it: canonical names in
// sorted order, values in the order received, trimmed; Content-Length and
// Transfer-Encoding dropped where net/http drops them, Connection where it
// says close.
func (r *response) fields() []httpparse.Field {
	if r.std != nil {
		return fields(r.std)
	}
	var out []httpparse.Field
	for rest := r.head; len(rest) > 2; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, _ := bytes.Cut(line, []byte(":"))
		key := textproto.CanonicalMIMEHeaderKey(string(name))
		if key == "Transfer-Encoding" || (key == "Connection" && r.close) {
			continue
		}
		out = append(out, httpparse.Field{Name: key, Value: strings.Trim(string(value), " \t")})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lengthBody is a Content-Length body; like net/http's, an early end is
// io.ErrUnexpectedEOF once, io.EOF after.
type lengthBody struct {
	br *bufio.Reader
	n  int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	if errors.Is(err, io.EOF) {
		if b.n > 0 {
			err = io.ErrUnexpectedEOF
		}
		b.n = 0
	}
	return n, err
}

// chunkedBody is a chunked body and its trailer, read as net/http does.
type chunkedBody struct {
	br   *bufio.Reader
	cr   io.Reader
	done bool
	err  error
}

var errTrailerEOF = errors.New("http: unexpected EOF reading trailer")

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.cr.Read(p)
	if errors.Is(err, io.EOF) {
		if e := readTrailer(b.br); e != nil {
			b.err = e
			return n, e
		}
		b.done = true
	}
	return n, err
}

// readTrailer consumes what follows the last chunk, as net/http's body
// does (the trailer's fields are not used).
func readTrailer(br *bufio.Reader) error {
	buf, err := br.Peek(2)
	if bytes.Equal(buf, []byte("\r\n")) {
		_, _ = br.Discard(2) // peeked
		return nil
	}
	if len(buf) < 2 {
		return errTrailerEOF
	}
	if err != nil {
		return err
	}
	if !upcomingDoubleCRLF(br) {
		return errors.New("http: suspiciously long trailer after chunked body")
	}
	if _, err := textproto.NewReader(br).ReadMIMEHeader(); err != nil {
		if errors.Is(err, io.EOF) {
			return errTrailerEOF
		}
		return err
	}
	return nil
}

func upcomingDoubleCRLF(br *bufio.Reader) bool {
	for n := 4; ; n++ {
		buf, err := br.Peek(n)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}
