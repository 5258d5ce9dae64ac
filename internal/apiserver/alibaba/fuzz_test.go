package alibaba

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary queries and bodies to the request decoder
// and its list accessors: they must answer an error or values, never
// panic, and an index beyond maxListIndex is refused.
func FuzzDecode(f *testing.F) {
	f.Add("Action=X&TrafficMirrorSourceIds.1=eni-a", "IngressRules.2.Action=accept&Tag.1.Key=k")
	f.Add("a=%zz", "")
	f.Add("X.0=1&X.01=2", "X.1.=3")
	f.Fuzz(func(t *testing.T, query, body string) {
		p, err := decodeParams(query, body)
		if err != nil {
			return
		}
		for _, prefix := range []string{"X", "TrafficMirrorSourceIds", "IngressRules", "Tag"} {
			if l, err := p.list(prefix); err == nil && len(l) > maxListIndex {
				t.Fatalf("%d values for %s", len(l), prefix)
			}
			_, _ = p.objects(prefix)
			_, _ = p.tags(prefix)
		}
		_, _ = p.int("MaxResults")
		_, _ = p.bool("DryRun")
	})
}

// FuzzServe sends arbitrary bodies to a whole server: every answer is an
// HTTP status with a JSON body, never a panic.
func FuzzServe(f *testing.F) {
	srv, err := New(Config{Spec: fixtureSpec(), Settle: -1, Seed: 1, ServiceOpen: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Action=CreateTrafficMirrorFilter&Version=2016-04-28&IngressRules.1.Action=accept&IngressRules.1.Priority=1&IngressRules.1.Protocol=ALL")
	f.Add("Action=CreateTrafficMirrorSession&Version=2016-04-28&Priority=1&TrafficMirrorSourceIds.1=web-eni&TrafficMirrorTargetId=clb&TrafficMirrorTargetType=SLB&TrafficMirrorFilterId=x")
	f.Add("Action=ListTrafficMirrorSessions&Version=2016-04-28&MaxResults=-1&NextToken=%00")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("internal error for %q: %s", body, w.Body)
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("answer is not JSON: %q", w.Header().Get("Content-Type"))
		}
	})
}
