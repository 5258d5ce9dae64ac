package replay

import (
	"bytes"
	"context"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/agent/internal/httpparse"
	"github.com/mirrorlab/mirrorlab/agent/internal/stream"
)

// hopByHop are the headers that describe one connection, not the request
// (RFC 9110 7.6.1), plus those the client transport sets itself.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Expect": true,
	"Content-Length": true, "Host": true,
}

// Sampled reports whether a request is in the sample. Keyed sampling hashes
// the key (FNV-1a) onto [0, 100): a key is always in or always out.
func Sampled(pct float64, by, header string, c stream.Conn, r *httpparse.Request) bool {
	if pct >= 100 {
		return true
	}
	if pct <= 0 {
		return false
	}
	var key string
	switch by {
	case "header":
		key = r.Get(header)
	case "remoteaddr":
		key = c.Client.Addr().String()
	default:
		return rand.Float64()*100 < pct
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return float64(h.Sum64()%1_000_000)/10_000 < pct
}

// build makes the request to send for r.
func (rp *Replayer) build(ctx context.Context, c stream.Conn, r *httpparse.Request) (*http.Request, error) {
	target := r.Target
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		// absolute-form (a proxy request): keep path and query.
		if u, err := url.Parse(target); err == nil {
			target = u.RequestURI()
		}
	}
	// The target is sent byte for byte (as an opaque URL), so paths that a
	// URL parser would normalise or reject reach the destination as the
	// client sent them.
	u := &url.URL{Scheme: rp.dest.Scheme, Host: rp.dest.Host}
	switch {
	case target == "*":
		u.Opaque = "*"
	case strings.HasPrefix(target, "/") && !strings.HasPrefix(rp.destPath+target, "//"):
		u.Opaque = rp.destPath + target
	default:
		var err error
		if u, err = url.Parse(rp.base + "/" + strings.TrimLeft(target, "/")); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, rp.base, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	req.URL = u
	req.Header = rp.header(c, r)
	if rp.cfg.KeepHostHeader && r.Host != "" {
		req.Host = r.Host
	}
	return req, nil
}

// header copies the end-to-end headers of r and adds X-Forwarded-*.
func (rp *Replayer) header(c stream.Conn, r *httpparse.Request) http.Header {
	var drop map[string]bool
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, "Connection") {
			for _, tok := range strings.Split(f.Value, ",") {
				if tok = strings.TrimSpace(tok); tok != "" {
					if drop == nil {
						drop = map[string]bool{}
					}
					drop[textproto.CanonicalMIMEHeaderKey(tok)] = true
				}
			}
		}
	}
	h := make(http.Header, len(r.Header)+4)
	for _, f := range r.Header {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		if hopByHop[k] || drop[k] {
			continue
		}
		h[k] = append(h[k], f.Value)
	}
	forwarded(h.Get, h.Set, c, r.Host)
	if _, ok := h["User-Agent"]; !ok {
		// An empty value stops net/http from adding its own User-Agent.
		h["User-Agent"] = []string{""}
	}
	return h
}

// forwarded adds the X-Forwarded-* fields of a request from c (whose Host
// was host) through a header's get (first value) and set (replace all).
func forwarded(get func(string) string, set func(k, v string), c stream.Conn, host string) {
	client := c.Client.Addr().Unmap().String()
	if xff := get("X-Forwarded-For"); xff != "" {
		set("X-Forwarded-For", xff+", "+client)
	} else {
		set("X-Forwarded-For", client)
	}
	if get("X-Forwarded-Port") == "" {
		set("X-Forwarded-Port", strconv.Itoa(int(c.Server.Port())))
	}
	if get("X-Forwarded-Proto") == "" {
		set("X-Forwarded-Proto", "http")
	}
	if get("X-Forwarded-Host") == "" && host != "" {
		set("X-Forwarded-Host", host)
	}
}
