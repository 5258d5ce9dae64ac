// Package httpparse is an incremental HTTP/1.0 and HTTP/1.1 request parser
// for one direction of a reassembled TCP connection.
//
// Bytes are pushed in as they are reassembled; each complete request
// (request line, headers and a body framed by Content-Length or chunked
// transfer coding) is emitted once, so keep-alive connections and pipelined
// requests yield every request in order. The first bytes of a connection
// classify it: TLS and other non-HTTP protocols are reported once and the
// rest of the connection is ignored. A gap (lost bytes) drops the request it
// falls in: a partial or garbled request is never emitted.
//
// A request is emitted only when production would serve it: the parser
// applies RFC 9112 as Go's net/http server does (the reference; a
// differential test and fuzzer send the same bytes to both). A request
// that such a server refuses (two Content-Length values, a signed or
// listed one, a Transfer-Encoding other than a single "chunked", a space
// before a colon, a control character in a field, a bad version or
// target, no Host in HTTP/1.1, an unknown expectation, a broken chunked
// body) is dropped, reason malformed, and the connection's stream stops
// there, since production closes the connection: requests hidden in its
// body are never replayed. The stream also stops after the last request
// production serves on a connection (Connection: close, HTTP/1.0 without
// keep-alive). Obsolete line folding is joined with a space and served,
// as net/http does. A head over Limits.MaxHeader stops the stream too
// (its framing is unknown); a body over Limits.MaxBody is skipped by its
// framing and the stream goes on.
//
// Only after a gap does the parser scan the bytes that follow for the
// next plausible request line (an upper-case method token at a token
// boundary, SP, target, SP, HTTP/1.0 or HTTP/1.1, then CRLF or LF) and
// resume there, wherever it lies in a Feed; a candidate whose head does
// not parse is part of what the gap lost (not counted again) and the scan
// goes on. What the parser emits and drops depends only on the bytes and
// the gaps, never on how the bytes are cut into Feeds (FuzzParser checks
// this).
package httpparse

// ResponseParser parses the other direction (the server's responses) and
// pairs each response, by order on the connection, with the request the
// caller announced (it needs the method: a HEAD response has no body). A
// response whose bytes were lost is reported incomplete, never as whole;
// where lost bytes make the pairing uncertain, the connection's remaining
// requests are reported unanswered instead of mis-paired.
