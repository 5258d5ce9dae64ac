// Package replay sends parsed requests to the destination (the test
// environment): a bounded queue per worker, requests of one mirrored
// connection always on the same worker (so in order), a pooled and bounded
// set of connections, timeouts, an optional rate limit, consistent sampling,
// and X-Forwarded-* headers. Responses are drained and discarded after their
// status and latency are recorded.
package replay
