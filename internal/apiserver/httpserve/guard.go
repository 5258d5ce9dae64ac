package httpserve

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// GuardOptions configures Guard.
type GuardOptions struct {
	// Listen is the address the server listens on ("127.0.0.1:4566",
	// "[::]:4566", ":4566"): a request's Host must be localhost or one of
	// its IP addresses (any IP address when it is unspecified), with its
	// port when the Host has one.
	Listen string
	// AccessKeyID, when not empty, is a shared secret: a request must
	// carry it as its access key id (KeyID reads it).
	AccessKeyID string
	// KeyID returns a request's access key id and whether it has one
	// (default: SigV4's, from the Authorization header's Credential or
	// the X-Amz-Credential query parameter).
	KeyID func(*http.Request) (string, bool)
	// Refuse answers a refused request (default: plain text). code is a
	// short error code (e.g. "InvalidHost"), msg says why.
	Refuse func(w http.ResponseWriter, r *http.Request, status int, code, msg string)
}

// Refusal codes answered by Guard.
const (
	codeInvalidHost   = "InvalidHost"
	codeBrowserOrigin = "BrowserRequestRefused"
	codeAuthFailure   = "AuthFailure"
)

// Guard returns h behind the checks described in the package comment.
func Guard(h http.Handler, o GuardOptions) (http.Handler, error) {
	host, port, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("guard: listen address %q: %w", o.Listen, err)
	}
	g := &guard{next: h, o: o, port: port, anyIP: host == ""}
	if host != "" && host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("guard: listen address %q: want an IP address or localhost: %w", o.Listen, err)
		}
		g.ip, g.anyIP = ip.Unmap(), ip.IsUnspecified()
	}
	if g.o.KeyID == nil {
		g.o.KeyID = sigV4KeyID
	}
	if g.o.Refuse == nil {
		g.o.Refuse = func(w http.ResponseWriter, _ *http.Request, status int, code, msg string) {
			http.Error(w, code+": "+msg, status)
		}
	}
	return g, nil
}

type guard struct {
	next  http.Handler
	o     GuardOptions
	port  string
	ip    netip.Addr // the listen address; invalid for localhost
	anyIP bool       // listening on every address
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if msg := g.checkHost(r.Host); msg != "" {
		g.o.Refuse(w, r, http.StatusForbidden, codeInvalidHost, msg)
		return
	}
	if msg := checkBrowser(r); msg != "" {
		g.o.Refuse(w, r, http.StatusForbidden, codeBrowserOrigin, msg)
		return
	}
	if g.o.AccessKeyID != "" {
		id, ok := g.o.KeyID(r)
		if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(g.o.AccessKeyID)) != 1 {
			g.o.Refuse(w, r, http.StatusUnauthorized, codeAuthFailure,
				"This server requires the access key id it printed at start (mirrorlab serve --access-key-id); the request's signature names another or none.")
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// checkHost returns why a Host header is refused, "" when it is not.
func (g *guard) checkHost(hostport string) string {
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if port != "" && port != g.port {
		return fmt.Sprintf("Host %q names port %s; this server listens on port %s.", hostport, port, g.port)
	}
	if strings.EqualFold(host, "localhost") {
		return ""
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return fmt.Sprintf("Host %q is not localhost nor an IP address of this server (a web page that renamed it?); use the endpoint it printed.", hostport)
	case g.anyIP, g.ip.IsValid() && ip.Unmap() == g.ip, !g.ip.IsValid() && ip.IsLoopback():
		return ""
	}
	return fmt.Sprintf("Host %q is not the address this server listens on (%s).", hostport, g.ip)
}

// checkBrowser returns why a request that a web page made is refused, ""
// for one that no browser page sent (CLIs, SDKs and Terraform send
// neither Origin nor Sec-Fetch-Site).
func checkBrowser(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "cross-site", "same-site":
		return fmt.Sprintf("A web page's request (Sec-Fetch-Site: %s) may not drive this API.", site)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
		return fmt.Sprintf("A web page's request (Origin: %s) may not drive this API.", o)
	}
	return ""
}

// sigV4KeyID returns the access key id of a SigV4-signed request: the
// Authorization header's Credential=KEY/date/region/service/aws4_request,
// or a presigned URL's X-Amz-Credential.
func sigV4KeyID(r *http.Request) (string, bool) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-") {
		for _, part := range strings.Split(auth, ",") {
			part = strings.TrimSpace(part)
			if _, after, ok := strings.Cut(part, "Credential="); ok {
				cred = after
			}
		}
	}
	id, _, _ := strings.Cut(cred, "/")
	return id, id != ""
}
