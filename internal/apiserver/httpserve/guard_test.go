package httpserve

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	sig := func(key string) string {
		return "AWS4-HMAC-SHA256 Credential=" + key + "/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	}
	for _, tc := range []struct {
		name, listen, key string
		host              string
		hdr               map[string]string
		url               string
		want              int
	}{
		{name: "loopback ip", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", want: 200},
		{name: "localhost", listen: "127.0.0.1:4566", host: "localhost:4566", want: 200},
		{name: "no port", listen: "127.0.0.1:4566", host: "localhost", want: 200},
		{name: "rebinding name", listen: "127.0.0.1:4566", host: "attacker.example:4566", want: 403},
		{name: "other ip", listen: "127.0.0.1:4566", host: "127.0.0.2:4566", want: 403},
		{name: "other port", listen: "127.0.0.1:4566", host: "127.0.0.1:80", want: 403},
		{name: "listening on localhost, ::1", listen: "localhost:4566", host: "[::1]:4566", want: 200},
		{name: "every address, any ip", listen: ":4566", host: "192.0.2.7:4566", want: 200},
		{name: "every address, a name", listen: "[::]:4566", host: "evil.example:4566", want: 403},
		{name: "foreign origin", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", hdr: map[string]string{"Origin": "http://evil.example"}, want: 403},
		{name: "null origin", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", hdr: map[string]string{"Origin": "null"}, want: 403},
		{name: "own origin", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", hdr: map[string]string{"Origin": "http://127.0.0.1:4566"}, want: 200},
		{name: "cross-site", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
		{name: "same-site", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", hdr: map[string]string{"Sec-Fetch-Site": "same-site"}, want: 403},
		{name: "typed address", listen: "127.0.0.1:4566", host: "127.0.0.1:4566", hdr: map[string]string{"Sec-Fetch-Site": "none"}, want: 200},
		{name: "key required, none", listen: "127.0.0.1:4566", key: "AKIDSECRET", host: "127.0.0.1:4566", want: 401},
		{name: "key required, other", listen: "127.0.0.1:4566", key: "AKIDSECRET", host: "127.0.0.1:4566", hdr: map[string]string{"Authorization": sig("test")}, want: 401},
		{name: "key required, given", listen: "127.0.0.1:4566", key: "AKIDSECRET", host: "127.0.0.1:4566", hdr: map[string]string{"Authorization": sig("AKIDSECRET")}, want: 200},
		{name: "key required, presigned", listen: "127.0.0.1:4566", key: "AKIDSECRET", host: "127.0.0.1:4566", url: "/?X-Amz-Credential=AKIDSECRET%2F20260101%2Fus-east-1%2Fec2%2Faws4_request", want: 200},
		{name: "key required, prefix", listen: "127.0.0.1:4566", key: "AKIDSECRET", host: "127.0.0.1:4566", hdr: map[string]string{"Authorization": sig("AKIDSECRE")}, want: 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Guard(ok, GuardOptions{Listen: tc.listen, AccessKeyID: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			url := tc.url
			if url == "" {
				url = "/"
			}
			req := httptest.NewRequest("POST", url, nil)
			req.Host = tc.host
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("Host %q %v: %d %s, want %d", tc.host, tc.hdr, rec.Code, rec.Body.String(), tc.want)
			}
		})
	}
}

func TestGuardRefusesABadListenAddress(t *testing.T) {
	for _, l := range []string{"4566", "example.com:4566"} {
		if _, err := Guard(http.NotFoundHandler(), GuardOptions{Listen: l}); err == nil {
			t.Errorf("Guard(%q) accepted", l)
		}
	}
}
