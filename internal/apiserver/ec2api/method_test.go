package ec2api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// A GET (what an <img> on any web page makes a browser send) may query,
// never change the state.
func TestGETOnlyQueries(t *testing.T) {
	s, c := testServer(t, Config{})
	fid, tid := mirrorSetup(t, c)
	sid := *newSession(t, c, sessionIn(eniWeb, fid, tid, 1)).TrafficMirrorSessionId
	get := func(query string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/?"+query, nil))
		return rec
	}
	rec := get("Action=DeleteTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=" + sid)
	if rec.Code != 405 || !strings.Contains(rec.Body.String(), "<Code>MethodNotAllowed</Code>") {
		t.Fatalf("GET DeleteTrafficMirrorSession: %d %s", rec.Code, rec.Body.String())
	}
	if n := len(s.Spec().TrafficMirrorSessions); n != 1 {
		t.Fatalf("a GET deleted the session: %d left", n)
	}
	if rec := get("Action=DescribeTrafficMirrorSessions&Version=2016-11-15"); rec.Code != 200 || !strings.Contains(rec.Body.String(), sid) {
		t.Fatalf("GET DescribeTrafficMirrorSessions: %d %s", rec.Code, rec.Body.String())
	}
}
