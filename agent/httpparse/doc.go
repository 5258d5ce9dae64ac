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
// After a gap, a malformed head or a broken chunked body, the parser scans
// the bytes that follow for the next plausible request line (a method token
// at a token boundary, SP, target, SP, HTTP/1.0 or HTTP/1.1, then CRLF or
// LF) and resumes there, wherever it lies in a Feed. What the parser emits
// and drops depends only on the bytes and the gaps, never on how the bytes
// are cut into Feeds (FuzzParser checks this).
package httpparse

// ResponseParser parses the other direction (the server's responses) and
// pairs each response, by order on the connection, with the request the
// caller announced (it needs the method: a HEAD response has no body). A
// response whose bytes were lost is reported incomplete, never as whole;
// where lost bytes make the pairing uncertain, the connection's remaining
// requests are reported unanswered instead of mis-paired.
