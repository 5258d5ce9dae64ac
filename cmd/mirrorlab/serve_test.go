package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a strings.Builder safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs serve in-process with o (on a free loopback port) and
// returns its endpoint; the server stops when the test ends.
func startServe(t *testing.T, file string, o serveOpts) (endpoint string, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	ready := make(chan string, 1)
	o.listen = "127.0.0.1:0"
	o.ready = func(ep string) { ready <- ep }
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, &app{stdout: out, stderr: errOut}, file, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, errOut.String())
			}
		case <-time.After(60 * time.Second):
			t.Error("serve did not end 60 s after it was cancelled")
		}
	})
	select {
	case ep := <-ready:
		return ep, out
	case err := <-done:
		t.Fatalf("serve ended before it served: %v\n%s\n%s", err, out.String(), errOut.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("serve not ready after 90 s\n%s\n%s", out.String(), errOut.String())
	}
	return "", nil
}

func TestServeNoLab(t *testing.T) {
	ep, out := startServe(t, "", serveOpts{noLab: true})
	for _, want := range []string{"EC2 API for reference-walkthrough", "AWS_ENDPOINT_URL=" + ep, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=", "Name=web-eni", "Name=adapter-eni", "--no-lab"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve's output lacks %q:\n%s", want, out.String())
		}
	}
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := http.PostForm(ep, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post(url.Values{"Action": {"DescribeTrafficMirrorSessions"}, "Version": {"2016-11-15"}})
	if code != 200 || !strings.Contains(body, "<virtualNetworkId>1</virtualNetworkId>") || !strings.Contains(body, "tms-") {
		t.Fatalf("DescribeTrafficMirrorSessions: %d %s", code, body)
	}
	// A change is accepted without a lab.
	code, body = post(url.Values{"Action": {"CreateTrafficMirrorFilter"}, "Version": {"2016-11-15"}})
	if code != 200 || !strings.Contains(body, "tmf-") {
		t.Fatalf("CreateTrafficMirrorFilter: %d %s", code, body)
	}
}

func TestServeListenChecks(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		exposed bool
		bad     bool
	}{
		{"127.0.0.1:4566", false, false},
		{"[::1]:4566", false, false},
		{"localhost:4566", false, false},
		{"0.0.0.0:4566", true, false},
		{":4566", true, false},
		{"192.0.2.1:4566", true, false},
		{"4566", false, true},
		{"example.com:4566", false, true},
	} {
		exposed, err := checkListen(tc.addr)
		if (err != nil) != tc.bad || exposed != tc.exposed {
			t.Errorf("checkListen(%q) = %v, %v; want exposed %v, error %v", tc.addr, exposed, err, tc.exposed, tc.bad)
		}
	}
	code, _, errOut := mainOut(t, "serve", "--listen", "nope", "--no-lab")
	if code != 2 || !strings.Contains(errOut, "--listen") {
		t.Errorf("serve --listen nope: exit %d, %s", code, errOut)
	}
}
