package alibaba

import (
	"strings"
	"testing"
)

// When two parameters of a request are bad, the answer names the first
// one the operation reads, with and without DryRun; each case has a later
// check that would fire on the zero value of the failed read.
func TestFirstBadParameterWins(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	long := strings.Repeat("n", 200)
	for _, tc := range []struct{ query, code, names string }{
		{"Action=UpdateTrafficMirrorFilterAttribute&TrafficMirrorFilterName=" + long, codeMissingParameter, "TrafficMirrorFilterId"},
		{"Action=UpdateTrafficMirrorSessionAttribute&TrafficMirrorSessionName=" + long, codeMissingParameter, "TrafficMirrorSessionId"},
		{"Action=UpdateTrafficMirrorSessionAttribute&TrafficMirrorSessionId=tms-1&Priority=x&TrafficMirrorSessionName=" + long, codeInvalidParameter, "Priority"},
		{"Action=CreateTrafficMirrorSession&Priority=x", codeInvalidParameter, "Priority"},
		{"Action=ListTrafficMirrorFilters&TrafficMirrorFilterIds.0=x&MaxResults=500", codeInvalidParameter, "TrafficMirrorFilterIds"},
		{"Action=ListTrafficMirrorSessions&Enabled=yes&MaxResults=500", codeInvalidParameter, "Enabled"},
		{"Action=DeleteTrafficMirrorFilterRules&TrafficMirrorFilterRuleIds.1=r", codeMissingParameter, "TrafficMirrorFilterId"},
		{"Action=CreateTrafficMirrorFilter&Tag.1.Value=v&DryRun=maybe", codeMissingParameter, "Tag.1.Key"},
	} {
		for _, dry := range []string{"", "&DryRun=true"} {
			if strings.Contains(tc.query, "DryRun=") && dry != "" {
				continue
			}
			status, body := raw(t, h, "GET", "/", tc.query+"&Version=2016-04-28&RegionId="+region+dry, "")
			msg, _ := body["Message"].(string)
			if status != 400 || body["Code"] != tc.code || !strings.Contains(msg, tc.names) {
				t.Errorf("%s%s: %d %v, want %s naming %s", tc.query, dry, status, body, tc.code, tc.names)
			}
		}
	}
}
