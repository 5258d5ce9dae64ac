package ec2api

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func TestProtocolErrors(t *testing.T) {
	s, _ := testServer(t, Config{})
	for _, tc := range []struct {
		name, form string
		status     int
		code       string
	}{
		{"unknown action", "Action=LaunchRockets&Version=2016-11-15", 400, "InvalidAction"},
		{"no action", "Version=2016-11-15", 400, "MissingAction"},
		{"no version", "Action=DescribeTrafficMirrorFilters", 400, "MissingParameter"},
		{"unsupported version", "Action=DescribeTrafficMirrorFilters&Version=2014-01-01", 400, "NoSuchVersion"},
		{"malformed", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&x=%zz", 400, "MalformedQueryString"},
		{"repeated key", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&Version=2016-11-15", 400, "MalformedQueryString"},
		{"unknown parameter", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&Bogus=1", 400, "UnknownParameter"},
		{"misspelt list", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&TrafficMirrorFilterId.0=x", 400, "UnknownParameter"},
		{"half a filter", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&Filter.1.Value.1=x", 400, "MissingParameter"},
		{"filter without values", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&Filter.1.Name=description", 400, "MissingParameter"},
		{"bad bool", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&DryRun=yes", 400, "InvalidParameterValue"},
		{"dry run", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&DryRun=true", 412, "DryRunOperation"},
		{"presigned query is accepted", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", 200, ""},
		{"ok", "Action=DescribeTrafficMirrorFilters&Version=2016-11-15", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRaw(t, s, tc.form, tc.status, tc.code) })
	}
}

func TestBodyCap(t *testing.T) {
	s, _ := testServer(t, Config{})
	big := "Action=DescribeTrafficMirrorFilters&Version=2016-11-15&Description=" + strings.Repeat("a", MaxBodyBytes)
	// With a Content-Length: refused before reading.
	wantRaw(t, s, big, 413, "RequestEntityTooLarge")
	// Without one (chunked): refused at the cap.
	r := &countingReader{r: strings.NewReader(big)}
	req := httptest.NewRequest("POST", "/", r)
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 413 || !strings.Contains(rec.Body.String(), "<Code>RequestEntityTooLarge</Code>") {
		t.Fatalf("chunked oversize: %d %s", rec.Code, rec.Body.String())
	}
	if r.n > MaxBodyBytes+1 {
		t.Fatalf("read %d bytes of an oversized body, cap %d", r.n, MaxBodyBytes)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// The exact framing of answers and errors.
func TestAnswerShapes(t *testing.T) {
	s, _ := testServer(t, Config{})
	post := func(form string) (int, string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=bad")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	code, body := post("Action=CreateTrafficMirrorFilter&Version=2016-11-15&Description=a%3Cb")
	ok := regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\n<CreateTrafficMirrorFilterResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>[0-9a-f-]{36}</requestId><trafficMirrorFilter><trafficMirrorFilterId>tmf-[0-9a-f]{17}</trafficMirrorFilterId><description>a&lt;b</description><ingressFilterRuleSet></ingressFilterRuleSet><egressFilterRuleSet></egressFilterRuleSet><networkServiceSet></networkServiceSet><tagSet></tagSet></trafficMirrorFilter></CreateTrafficMirrorFilterResponse>$`)
	if code != 200 || !ok.MatchString(body) {
		t.Fatalf("answer %d:\n%s", code, body)
	}
	code, body = post("Action=DeleteTrafficMirrorFilter&Version=2016-11-15&TrafficMirrorFilterId=tmf-<x>")
	bad := regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>InvalidTrafficMirrorFilterId.NotFound</Code><Message>The traffic mirror filter &#39;tmf-&lt;x&gt;&#39; does not exist.</Message></Error></Errors><RequestID>[0-9a-f-]{36}</RequestID></Response>$`)
	if code != 400 || !bad.MatchString(body) {
		t.Fatalf("error %d:\n%s", code, body)
	}
	// Request ids differ.
	ids := map[string]bool{}
	for i := 0; i < 100; i++ {
		_, body := post("Action=DescribeTrafficMirrorFilters&Version=2016-11-15")
		var r struct {
			RequestID string `xml:"requestId"`
		}
		if err := xml.Unmarshal([]byte(body), &r); err != nil || ids[r.RequestID] {
			t.Fatalf("request id %q repeated or unreadable (%v)", r.RequestID, err)
		}
		ids[r.RequestID] = true
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/other", nil))
	if rec.Code != 404 {
		t.Fatalf("POST /other: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("PUT", "/", nil))
	if rec.Code != 405 || !strings.Contains(rec.Body.String(), "<Code>InvalidAction</Code>") {
		t.Fatalf("PUT /: %d %s", rec.Code, rec.Body.String())
	}
	// GET with a query string works as EC2's does.
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/?Action=DescribeTrafficMirrorFilters&Version=2016-11-15", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<DescribeTrafficMirrorFiltersResponse") {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body.String())
	}
}

func TestSpecEndpointsAndNew(t *testing.T) {
	spec := fixtureSpec()
	spec.TrafficMirrorFilters = []*cloudmock.TrafficMirrorFilter{{TrafficMirrorFilterId: "tmf-0000000000000000a",
		IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{{RuleNumber: 1, RuleAction: "accept", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0"}}}}
	spec.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-0000000000000000a", NetworkInterfaceId: eniAdapter}}
	spec.TrafficMirrorSessions = []*cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "tms-0000000000000000a", NetworkInterfaceId: eniWeb,
		TrafficMirrorFilterId: "tmf-0000000000000000a", TrafficMirrorTargetId: "tmt-0000000000000000a", SessionNumber: 1}}
	var exported cloudmock.Spec
	s, err := New(Config{Spec: spec, Names: map[string]string{eniWeb: "web-eni"}, Seed: 7,
		Export: func(sp cloudmock.Spec, tags map[string]map[string]string) ([]byte, error) {
			exported = sp
			return []byte("name: x\n# " + tags[eniWeb]["Name"] + "\n"), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	// New completes the state: a VNI for the session, an id for the rule.
	got := s.Spec()
	if got.TrafficMirrorSessions[0].VirtualNetworkId == nil || !strings.HasPrefix(got.TrafficMirrorFilters[0].IngressFilterRules[0].TrafficMirrorFilterRuleId, "tmfr-") {
		t.Fatalf("New did not complete the spec: %+v", got.TrafficMirrorSessions[0])
	}
	if spec.TrafficMirrorSessions[0].VirtualNetworkId != nil {
		t.Fatal("New changed the caller's spec")
	}
	// Spec() is a copy.
	got.TrafficMirrorSessions[0].SessionNumber = 99
	*got.TrafficMirrorSessions[0].VirtualNetworkId = 5
	if again := s.Spec(); again.TrafficMirrorSessions[0].SessionNumber != 1 || *again.TrafficMirrorSessions[0].VirtualNetworkId == 5 {
		t.Fatal("Spec() shares memory with the server")
	}
	if s.Tags(eniWeb)["Name"] != "web-eni" {
		t.Fatalf("Tags = %v", s.Tags(eniWeb))
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/mirrorlab/spec")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Spec cloudmock.Spec
		Tags map[string]map[string]string
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(body.Spec.TrafficMirrorSessions) != 1 || body.Tags[eniWeb]["Name"] != "web-eni" {
		t.Fatalf("/mirrorlab/spec: %d %v %+v", resp.StatusCode, err, body)
	}
	resp, err = http.Get(hs.URL + "/mirrorlab/scenario")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "name: x\n# web-eni\n" || len(exported.TrafficMirrorSessions) != 1 {
		t.Fatalf("/mirrorlab/scenario: %d %q", resp.StatusCode, b)
	}
	s2, _ := testServer(t, Config{})
	rec := httptest.NewRecorder()
	s2.ServeHTTP(rec, httptest.NewRequest("GET", "/mirrorlab/scenario", nil))
	if rec.Code != 404 {
		t.Fatalf("scenario without exporter: %d", rec.Code)
	}
	// An invalid initial spec is refused, with the model's finding.
	bad := fixtureSpec()
	bad.Subnets[0].VpcId = "vpc-nope"
	if _, err := New(Config{Spec: bad}); err == nil || !strings.Contains(err.Error(), "InvalidVpcID.NotFound") {
		t.Fatalf("New(invalid) = %v", err)
	}
}

// Concurrent creates are serialized: every one lands, ids are unique.
func TestConcurrentMutations(t *testing.T) {
	s, c := testServer(t, Config{})
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		go func() {
			_, err := c.CreateTrafficMirrorFilter(ctx, nil)
			errs <- err
		}()
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, f := range s.Spec().TrafficMirrorFilters {
		ids[f.TrafficMirrorFilterId] = true
	}
	if len(ids) != 40 {
		t.Fatalf("%d distinct filters, want 40", len(ids))
	}
}
