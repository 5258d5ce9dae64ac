package alibaba

import (
	"net/http/httptest"
	"testing"
)

func TestKeyID(t *testing.T) {
	cases := []struct {
		auth, query, want string
		ok                bool
	}{
		{auth: "ACS3-HMAC-SHA256 Credential=LTAIkey,SignedHeaders=host;x-acs-action,Signature=abc", want: "LTAIkey", ok: true},
		{query: "AccessKeyId=v1key&Action=ListTrafficMirrorSessions", want: "v1key", ok: true},
		{auth: "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ec2/aws4_request", query: "", want: "", ok: false},
		{},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/?"+c.query, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got, ok := KeyID(r); got != c.want || ok != c.ok {
			t.Errorf("KeyID(auth %q, query %q) = %q %v, want %q %v", c.auth, c.query, got, ok, c.want, c.ok)
		}
	}
}
