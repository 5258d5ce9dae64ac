// Package compare compares production's response to a request with the
// test environment's response to its replay, and aggregates the outcome
// per endpoint (method and path template) for shadow testing.
//
// A difference is a status, a header (less a default list of headers that
// differ on every response, such as Date and Set-Cookie) or the body: byte
// by byte, or for JSON structurally (key order ignored) down to the first
// differing path. A difference is noise, not a regression, when the same
// field also differs between production and a baseline (a second
// destination running production's version, as Diffy does) or, without a
// baseline, between two responses of production to identical requests.
package compare
