package ec2api

import (
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// serveForm posts a form to s and returns the recorder.
func serveForm(s *Server, form string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// EC2 refuses integers with a sign or blanks around them, naming the
// parameter.
func TestIntegersAreStrict(t *testing.T) {
	s, c := testServer(t, Config{})
	fid := newFilter(t, c, "strict")
	base := "Action=CreateTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterId=" + fid +
		"&TrafficDirection=ingress&RuleAction=accept&SourceCidrBlock=0.0.0.0/0&DestinationCidrBlock=0.0.0.0/0&RuleNumber="
	for _, v := range []string{" 5", "+7", "5 ", "", "0x10", "1e2", "--1"} {
		rec := serveForm(s, base+url.QueryEscape(v))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Code>InvalidParameterValue</Code>") ||
			!strings.Contains(rec.Body.String(), "parameter RuleNumber") {
			t.Errorf("RuleNumber=%q: %d %s", v, rec.Code, rec.Body.String())
		}
	}
	if rec := serveForm(s, base+"7"); rec.Code != 200 {
		t.Fatalf("RuleNumber=7: %d %s", rec.Code, rec.Body.String())
	}
}

// Request ids are random UUIDs: two servers of the same file (same Seed)
// do not repeat each other's.
func TestRequestIDsAreRandom(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 2 {
		s, _ := testServer(t, Config{Seed: 7})
		for range 3 {
			id := serveForm(s, "Action=DescribeVpcs&Version=2016-11-15").Header().Get("X-Amzn-RequestId")
			if !uuid.MatchString(id) || seen[id] {
				t.Fatalf("request id %q: not a v4 UUID, or seen before (%v)", id, seen)
			}
			seen[id] = true
		}
	}
}

// A list an action needs names one item at least: none is MissingParameter
// on its first item, as EC2 answers.
func TestRequiredListNamesItsFirstItem(t *testing.T) {
	s, _ := testServer(t, Config{})
	for action, first := range map[string]string{"StopInstances": "InstanceId.1", "DeleteTags": "ResourceId.1", "DeleteVpcEndpoints": "VpcEndpointId.1"} {
		rec := serveForm(s, "Action="+action+"&Version=2016-11-15")
		if body := rec.Body.String(); rec.Code != 400 || !strings.Contains(body, "<Code>MissingParameter</Code>") || !strings.Contains(body, first) {
			t.Errorf("%s with no %s: %d %s, want MissingParameter naming it", action, first, rec.Code, body)
		}
	}
}

// A failed read is sticky, as bufio.Scanner's error: later reads answer
// zero values and mark nothing read, and Err is the first failure.
func TestParamsErrorIsSticky(t *testing.T) {
	p, err := decodeParams("B=x&C=7&D=maybe", "")
	if err != nil {
		t.Fatal(err)
	}
	if v := p.required("A"); v != "" || p.ok() {
		t.Fatalf("required(A) of nothing = %q, ok %v", v, p.ok())
	}
	if n, b, c := p.int("B"), p.bool("D"), p.int("C"); n != nil || b || c != nil {
		t.Fatalf("reads after a failure answer %v %v %v, want zero values", n, b, c)
	}
	if v, ok := p.str("C"); v != "" || ok {
		t.Fatalf("str after a failure = %q, %v", v, ok)
	}
	if ae, ok := p.Err().(*apiError); !ok || ae.Code != "MissingParameter" || !strings.Contains(ae.Message, "parameter A") {
		t.Fatalf("Err() = %v, want MissingParameter naming A", p.Err())
	}
	if un := p.unread(); len(un) != 3 {
		t.Fatalf("unread = %v: reads after the failure marked parameters read", un)
	}
}
