package sdkhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientSendsTheWholeBody: the server gets the body and its length
// as given, and a request can be sent again (GetBody).
func TestClientSendsTheWholeBody(t *testing.T) {
	var got []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		if r.ContentLength != int64(len(b)) {
			t.Errorf("Content-Length %d for %d bytes", r.ContentLength, len(b))
		}
	}))
	defer hs.Close()
	req, err := http.NewRequest(http.MethodPost, hs.URL, io.NopCloser(strings.NewReader("Action=DescribeVpcs")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Client{}.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	again, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	req2, _ := http.NewRequest(http.MethodPost, hs.URL, again)
	if resp, err = (Client{HTTP: hs.Client()}).Do(req2); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(got) != 2 || got[0] != "Action=DescribeVpcs" || got[1] != got[0] {
		t.Fatalf("server got %q", got)
	}
}
