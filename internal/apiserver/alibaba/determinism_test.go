package alibaba

import (
	"fmt"
	"strings"
	"testing"
)

// A request with several bad keys gets the same error on every retry
// (a choice made by ranging over a Go map would show several answers in
// 50 tries), naming the least bad key in sorted order.
func TestSameBadRequestSameAnswer(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	const retries = 50
	for _, tc := range []struct{ name, query, want string }{
		{"malformed indexes", "Action=ListTrafficMirrorFilters&TrafficMirrorFilterIds.x=a&TrafficMirrorFilterIds.0=b" +
			"&TrafficMirrorFilterIds.01=c&TrafficMirrorFilterIds.999=d&TrafficMirrorFilterIds.-1=e", "TrafficMirrorFilterIds.-1"},
		{"repeated keys", "Action=ListTrafficMirrorFilters&TrafficMirrorFilterIds.2=a&TrafficMirrorFilterIds.2=b" +
			"&TrafficMirrorFilterIds.1=a&TrafficMirrorFilterIds.1=b&MaxResults=5&MaxResults=6", "MaxResults is given more than once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answers := map[string]int{}
			for range retries {
				status, body := raw(t, h, "GET", "/", tc.query+"&Version=2016-04-28&RegionId="+region, "")
				answers[fmt.Sprintf("%d %v %v", status, body["Code"], body["Message"])]++
			}
			if len(answers) != 1 {
				t.Fatalf("%d identical requests got %d different answers: %v", retries, len(answers), answers)
			}
			for a := range answers {
				if !strings.HasPrefix(a, "400 ") || !strings.Contains(a, tc.want) {
					t.Fatalf("answer %q, want a 400 naming %q", a, tc.want)
				}
			}
		})
	}
}
