// Package httpload is the bench's HTTP side: a test server that records when
// each request arrived (by the request id in its path), and a paced load
// generator over keep-alive connections. With one server as production and
// one as the replay's destination, completeness is the share of production's
// request ids that reached the destination, and the replay lag of a request
// is the time between its two arrivals.
package httpload
