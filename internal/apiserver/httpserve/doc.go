// Package httpserve serves an emulated cloud API safely on a machine that
// other users and web browsers share: it is independent of any one API
// (the EC2 and the Alibaba servers use it alike).
//
// Guard wraps an http.Handler and refuses, before the API sees them:
//   - a Host that is neither localhost nor an IP address the server
//     listens on (a DNS-rebinding page names the server by a host name
//     of its own);
//   - a request from a web page: an Origin header that is not the
//     server's own, or Sec-Fetch-Site cross-site or same-site (an <img>
//     or a form on any page could otherwise drive the lab);
//   - with an access key id configured (the opt-in shared secret), a
//     request whose signature names another key (SigV4's Credential, or
//     the key id another API's extractor reads).
//
// Start serves a handler on a listener with timeouts on the whole request
// (headers and body), on writing and on idle keep-alive connections, and
// a cap on open connections: a connection over the cap is answered 503
// and closed at once, not left queued (as netutil.LimitListener would).
//
// Which requests change state, and so must be POST, is the API's to say.
//
// Both APIs answer refusals with APIError (their own codes, the model's
// finding as Cause; AsAPIError turns any error into one) and remember
// ClientTokens in a TokenCache.
package httpserve
