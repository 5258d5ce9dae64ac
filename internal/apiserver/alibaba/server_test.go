package alibaba

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// raw sends a request as a script would and decodes the JSON answer.
func raw(t *testing.T, h *harness, method, path, query, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+h.url+path+"?"+query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	return resp.StatusCode, out
}

func TestErrorShapes(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	big := "Action=ListTrafficMirrorFilters&Version=2016-04-28&X=" + strings.Repeat("a", maxBodyBytes)
	for _, tc := range []struct {
		name, method, path, query, body string
		status                          int
		code                            string
	}{
		{"unknown action", "GET", "/", "Action=Nope&Version=2016-04-28", "", 404, codeInvalidAction},
		{"no action", "GET", "/", "Version=2016-04-28", "", 400, codeMissingParameter},
		{"no version", "GET", "/", "Action=ListTrafficMirrorFilters", "", 400, codeMissingParameter},
		{"bad version", "GET", "/", "Action=ListTrafficMirrorFilters&Version=2099-01-01", "", 400, codeInvalidVersion},
		{"other path", "GET", "/v2", "Action=ListTrafficMirrorFilters&Version=2016-04-28", "", 404, codeInvalidAction},
		{"bad method", "PUT", "/", "Action=ListTrafficMirrorFilters&Version=2016-04-28", "", 405, "UnsupportedHTTPMethod"},
		{"malformed query", "GET", "/", "Action=ListTrafficMirrorFilters&Version=2016-04-28&x=%zz", "", 400, codeInvalidParameter},
		{"repeated key", "POST", "/", "Action=ListTrafficMirrorFilters&Version=2016-04-28", "MaxResults=1&MaxResults=2", 400, codeInvalidParameter},
		{"bad index", "GET", "/", "Action=ListTrafficMirrorFilters&Version=2016-04-28&TrafficMirrorFilterIds.999999=x", "", 400, codeInvalidParameter},
		{"bad bool", "GET", "/", "Action=ListTrafficMirrorSessions&Version=2016-04-28&Enabled=yes", "", 400, codeInvalidParameter},
		{"too large", "POST", "/", "", big, 413, codeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := raw(t, h, tc.method, tc.path, tc.query, tc.body)
			if status != tc.status || body["Code"] != tc.code {
				t.Fatalf("got HTTP %d %v, want %d %s", status, body, tc.status, tc.code)
			}
			for _, k := range []string{"RequestId", "HostId", "Message", "Recommend"} {
				if s, _ := body[k].(string); s == "" {
					t.Errorf("error answer lacks %s: %v", k, body)
				}
			}
		})
	}
}

// A script's plain GET with the v1 signature's parameters (not verified)
// and a form POST both work.
func TestPlainRequests(t *testing.T) {
	h := newHarness(t, fixtureSpec(), false)
	q := url.Values{"Action": {"OpenTrafficMirrorService"}, "Version": {versionVPC}, "RegionId": {region}, "Format": {"JSON"},
		"AccessKeyId": {"any"}, "SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureNonce": {"n"},
		"Timestamp": {"2026-12-07T10:00:00Z"}, "Signature": {"not-checked"}}
	status, body := raw(t, h, "GET", "/", q.Encode(), "")
	if status != 200 || body["RequestId"] == "" {
		t.Fatalf("open: %d %v", status, body)
	}
	status, body = raw(t, h, "POST", "/", "", "Action=CreateTrafficMirrorFilter&Version=2016-04-28&RegionId=cn-hangzhou&IngressRules.1.Action=accept&IngressRules.1.Priority=1&IngressRules.1.Protocol=TCP&IngressRules.1.DestinationPortRange=443/443")
	if status != 200 || !strings.HasPrefix(body["TrafficMirrorFilterId"].(string), "tmf-") {
		t.Fatalf("create: %d %v", status, body)
	}
	r := h.lastApplied().TrafficMirrorFilters[0].IngressFilterRules[0]
	if r.DestinationPortRange == nil || r.DestinationPortRange.FromPort != 443 || r.Protocol != 6 {
		t.Fatalf("rule in the data plane: %+v", r)
	}
}

// A scenario's mirror resources are listed as they are, Created and
// enabled, and the service counts as opened.
func TestInitialState(t *testing.T) {
	spec := fixtureSpec()
	spec.TrafficMirrorFilters = append(spec.TrafficMirrorFilters, fixtureFilter())
	spec.TrafficMirrorTargets = append(spec.TrafficMirrorTargets, fixtureTarget())
	spec.TrafficMirrorSessions = append(spec.TrafficMirrorSessions, fixtureSession())
	h := newHarness(t, spec, false)
	c := h.client(false)
	s := getSession(t, c, h.id("web-session"))
	if *s.TrafficMirrorSessionStatus != statusCreated || !*s.Enabled || *s.TrafficMirrorTargetId != h.id("collector-eni") ||
		*s.TrafficMirrorSessionName != "web-session" || *s.VirtualNetworkId != 11 {
		t.Fatalf("initial session: %v", s)
	}
	f := getFilter(t, c, h.id("udp-in"))
	if len(f.IngressRules) != 1 || *f.IngressRules[0].Protocol != "UDP" || *f.IngressRules[0].TrafficMirrorFilterRuleId == "" {
		t.Fatalf("initial filter: %v", f)
	}
	if applied := h.srv.Applied(); len(applied.TrafficMirrorSessions) != 1 {
		t.Fatalf("applied: %v", applied.TrafficMirrorSessions)
	}
}

// A change the running lab cannot apply is answered InternalError (500)
// and leaves the state as it was.
func TestApplyFailureKeepsState(t *testing.T) {
	served, names := AssignIDs(fixtureSpec(), "test")
	fail := false
	srv, err := New(Config{Spec: served, Names: names, Region: region, Settle: -1, Seed: 3, ServiceOpen: true,
		Apply: func(cloudmock.Spec) error {
			if fail {
				return errors.New("lab gone")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	h := &harness{t: t, srv: srv, url: hs.Listener.Addr().String()}
	fail = true
	status, body := raw(t, h, "POST", "/", "", "Action=CreateTrafficMirrorFilter&Version=2016-04-28&RegionId=cn-hangzhou&ClientToken=t1")
	if status != 500 || body["Code"] != codeInternal || !strings.Contains(body["Message"].(string), "lab gone") {
		t.Fatalf("got %d %v", status, body)
	}
	if spec := srv.Spec(); len(spec.TrafficMirrorFilters) != 0 {
		t.Fatalf("a change the lab refused was kept: %v", spec.TrafficMirrorFilters)
	}
	fail = false // the same ClientToken is not remembered for a failed request
	if status, body = raw(t, h, "POST", "/", "", "Action=CreateTrafficMirrorFilter&Version=2016-04-28&RegionId=cn-hangzhou&ClientToken=t1"); status != 200 {
		t.Fatalf("retry: %d %v", status, body)
	}
}
