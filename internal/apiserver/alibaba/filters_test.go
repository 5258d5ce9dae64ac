package alibaba

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"
)

// createFilter creates a filter with one ingress rule (UDP 4789 dropped,
// then everything accepted) and one egress rule, and returns its id.
func createFilter(t *testing.T, c *vpc.Client, name string) string {
	t.Helper()
	res := must[*vpc.CreateTrafficMirrorFilterResponse](t)(c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{
		RegionId: str(region), TrafficMirrorFilterName: str(name), TrafficMirrorFilterDescription: str("test filter"),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{
			{Action: str("drop"), Priority: i32(1), Protocol: str("UDP"), DestinationPortRange: str("4789/4789"), SourceCidrBlock: str("0.0.0.0/0"), DestinationCidrBlock: str("0.0.0.0/0")},
			{Action: str("accept"), Priority: i32(2), Protocol: str("ALL")},
		},
		EgressRules: []*vpc.CreateTrafficMirrorFilterRequestEgressRules{{Action: str("accept"), Priority: i32(1), Protocol: str("TCP"), SourcePortRange: str("80/80")}},
		Tag:         []*vpc.CreateTrafficMirrorFilterRequestTag{{Key: str("team"), Value: str("netops")}},
	}))
	id := dara.StringValue(res.Body.TrafficMirrorFilterId)
	if len(id) != len("tmf-")+idLen || id[:4] != "tmf-" {
		t.Fatalf("filter id %q is not Alibaba-shaped", id)
	}
	if dara.StringValue(res.Body.RequestId) == "" {
		t.Fatal("no RequestId")
	}
	return id
}

// getFilter lists one filter by id.
func getFilter(t *testing.T, c *vpc.Client, id string) *vpc.ListTrafficMirrorFiltersResponseBodyTrafficMirrorFilters {
	t.Helper()
	res := must[*vpc.ListTrafficMirrorFiltersResponse](t)(c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{
		RegionId: str(region), TrafficMirrorFilterIds: []*string{str(id)}}))
	if len(res.Body.TrafficMirrorFilters) != 1 {
		t.Fatalf("filter %s: %d listed", id, len(res.Body.TrafficMirrorFilters))
	}
	return res.Body.TrafficMirrorFilters[0]
}

func TestFilterLifecycle(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	for _, v1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v1=%v", v1), func(t *testing.T) {
			c := h.client(v1)
			id := createFilter(t, c, "f-"+fmt.Sprint(v1))
			f := getFilter(t, c, id)
			if got := dara.StringValue(f.TrafficMirrorFilterStatus); got != statusCreating {
				t.Fatalf("new filter is %s, want Creating", got)
			}
			in := f.IngressRules
			if len(in) != 2 || dara.StringValue(in[0].Action) != "drop" || dara.StringValue(in[0].Protocol) != "UDP" ||
				dara.StringValue(in[0].DestinationPortRange) != "4789/4789" || dara.StringValue(in[0].SourcePortRange) != "-1/-1" ||
				dara.StringValue(in[1].Protocol) != "ALL" || dara.StringValue(in[0].TrafficDirection) != "ingress" ||
				dara.StringValue(in[0].TrafficMirrorFilterRuleStatus) != statusCreating || dara.StringValue(in[0].IpVersion) != "IPv4" {
				t.Fatalf("ingress rules: %v", in)
			}
			if len(f.EgressRules) != 1 || dara.StringValue(f.EgressRules[0].SourcePortRange) != "80/80" || len(f.Tags) != 1 {
				t.Fatalf("egress rules or tags: %v %v", f.EgressRules, f.Tags)
			}
			// While Creating, changes are refused as Alibaba does.
			_, err := c.UpdateTrafficMirrorFilterAttribute(&vpc.UpdateTrafficMirrorFilterAttributeRequest{RegionId: str(region), TrafficMirrorFilterId: str(id), TrafficMirrorFilterName: str("x")})
			wantError(t, err, codeFilterStatus, http.StatusBadRequest)
			h.clock.advance(settle)
			if got := dara.StringValue(getFilter(t, c, id).TrafficMirrorFilterStatus); got != statusCreated {
				t.Fatalf("settled filter is %s", got)
			}
			must[*vpc.UpdateTrafficMirrorFilterAttributeResponse](t)(c.UpdateTrafficMirrorFilterAttribute(&vpc.UpdateTrafficMirrorFilterAttributeRequest{
				RegionId: str(region), TrafficMirrorFilterId: str(id), TrafficMirrorFilterName: str("renamed"), TrafficMirrorFilterDescription: str("new")}))
			f = getFilter(t, c, id)
			if dara.StringValue(f.TrafficMirrorFilterStatus) != statusModifying || dara.StringValue(f.TrafficMirrorFilterName) != "renamed" || dara.StringValue(f.TrafficMirrorFilterDescription) != "new" {
				t.Fatalf("after update: %v", f)
			}
			h.clock.advance(settle)
			must[*vpc.DeleteTrafficMirrorFilterResponse](t)(c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: str(region), TrafficMirrorFilterId: str(id)}))
			if got := dara.StringValue(getFilter(t, c, id).TrafficMirrorFilterStatus); got != statusDeleting {
				t.Fatalf("deleted filter is %s, want Deleting", got)
			}
			_, err = c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: str(region), TrafficMirrorFilterId: str(id)})
			wantError(t, err, codeFilterNotFound, http.StatusNotFound)
			h.clock.advance(settle)
			res := must[*vpc.ListTrafficMirrorFiltersResponse](t)(c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: str(region), TrafficMirrorFilterIds: []*string{str(id)}}))
			if len(res.Body.TrafficMirrorFilters) != 0 {
				t.Fatalf("a settled deletion is still listed: %v", res.Body.TrafficMirrorFilters)
			}
		})
	}
	if len(h.lastApplied().TrafficMirrorFilters) != 0 {
		t.Fatalf("the data plane still has filters: %v", h.lastApplied().TrafficMirrorFilters)
	}
}

func TestFilterRules(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	id := createFilter(t, c, "rules")
	h.clock.advance(settle)
	res := must[*vpc.CreateTrafficMirrorFilterRulesResponse](t)(c.CreateTrafficMirrorFilterRules(&vpc.CreateTrafficMirrorFilterRulesRequest{
		RegionId: str(region), TrafficMirrorFilterId: str(id),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRulesRequestIngressRules{{Action: str("accept"), Priority: i32(3), Protocol: str("ICMP"), SourceCidrBlock: str("10.0.1.0/24")}},
	}))
	if len(res.Body.IngressRules) != 1 || len(res.Body.EgressRules) != 0 {
		t.Fatalf("created rules: %v", res.Body)
	}
	rid := dara.StringValue(res.Body.IngressRules[0].InstanceId)
	if rid[:4] != "tmr-" {
		t.Fatalf("rule id %q", rid)
	}
	model := h.lastApplied().TrafficMirrorFilters[0].IngressFilterRules
	if len(model) != 3 || model[2].Protocol != 1 || model[2].SourceCidrBlock != "10.0.1.0/24" || model[2].RuleNumber != 3 {
		t.Fatalf("the data plane's rules: %+v", model)
	}
	// A duplicate priority is the model's refusal.
	_, err := c.CreateTrafficMirrorFilterRules(&vpc.CreateTrafficMirrorFilterRulesRequest{RegionId: str(region), TrafficMirrorFilterId: str(id),
		IngressRules: []*vpc.CreateTrafficMirrorFilterRulesRequestIngressRules{{Action: str("accept"), Priority: i32(3), Protocol: str("ALL")}}})
	wantError(t, err, codeDuplicatePriority, http.StatusBadRequest)
	// The rule is Creating: its update waits.
	_, err = c.UpdateTrafficMirrorFilterRuleAttribute(&vpc.UpdateTrafficMirrorFilterRuleAttributeRequest{RegionId: str(region), TrafficMirrorFilterRuleId: str(rid), RuleAction: str("drop")})
	wantError(t, err, codeRuleStatus, http.StatusBadRequest)
	h.clock.advance(settle)
	must[*vpc.UpdateTrafficMirrorFilterRuleAttributeResponse](t)(c.UpdateTrafficMirrorFilterRuleAttribute(&vpc.UpdateTrafficMirrorFilterRuleAttributeRequest{
		RegionId: str(region), TrafficMirrorFilterRuleId: str(rid), RuleAction: str("drop"), Protocol: str("TCP"), DestinationPortRange: str("22/40"), Priority: i32(4)}))
	r := h.lastApplied().TrafficMirrorFilters[0].IngressFilterRules[2]
	if r.RuleAction != "reject" || r.Protocol != 6 || r.DestinationPortRange == nil || r.DestinationPortRange.FromPort != 22 || r.RuleNumber != 4 {
		t.Fatalf("updated rule in the data plane: %+v", r)
	}
	f := getFilter(t, c, id)
	if st := dara.StringValue(f.IngressRules[2].TrafficMirrorFilterRuleStatus); st != statusModifying {
		t.Fatalf("updated rule is %s", st)
	}
	h.clock.advance(settle)
	must[*vpc.DeleteTrafficMirrorFilterRulesResponse](t)(c.DeleteTrafficMirrorFilterRules(&vpc.DeleteTrafficMirrorFilterRulesRequest{
		RegionId: str(region), TrafficMirrorFilterId: str(id), TrafficMirrorFilterRuleIds: []*string{str(rid)}}))
	if n := len(h.lastApplied().TrafficMirrorFilters[0].IngressFilterRules); n != 2 {
		t.Fatalf("the data plane has %d ingress rules after the deletion", n)
	}
	f = getFilter(t, c, id)
	if len(f.IngressRules) != 3 || dara.StringValue(f.IngressRules[2].TrafficMirrorFilterRuleStatus) != statusDeleting {
		t.Fatalf("a deleted rule is listed Deleting until it settles: %v", f.IngressRules)
	}
	h.clock.advance(settle)
	if n := len(getFilter(t, c, id).IngressRules); n != 2 {
		t.Fatalf("%d ingress rules listed after the deletion settled", n)
	}
	_, err = c.DeleteTrafficMirrorFilterRules(&vpc.DeleteTrafficMirrorFilterRulesRequest{RegionId: str(region), TrafficMirrorFilterId: str(id), TrafficMirrorFilterRuleIds: []*string{str(rid)}})
	wantError(t, err, codeRuleNotFound, http.StatusNotFound)
}

func TestFilterErrors(t *testing.T) {
	h := newHarness(t, fixtureSpec(), false)
	c := h.client(false)
	_, err := c.CreateTrafficMirrorFilter(&vpc.CreateTrafficMirrorFilterRequest{RegionId: str(region)})
	wantError(t, err, codeServiceNotOpen, http.StatusBadRequest)
	st := must[*vpc.GetTrafficMirrorServiceStatusResponse](t)(c.GetTrafficMirrorServiceStatus(&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: str(region)}))
	if dara.BoolValue(st.Body.Enabled) {
		t.Fatal("service enabled before OpenTrafficMirrorService")
	}
	must[*vpc.OpenTrafficMirrorServiceResponse](t)(c.OpenTrafficMirrorService(&vpc.OpenTrafficMirrorServiceRequest{RegionId: str(region)}))
	st = must[*vpc.GetTrafficMirrorServiceStatusResponse](t)(c.GetTrafficMirrorServiceStatus(&vpc.GetTrafficMirrorServiceStatusRequest{RegionId: str(region)}))
	if !dara.BoolValue(st.Body.Enabled) {
		t.Fatal("service not enabled after OpenTrafficMirrorService")
	}
	cases := []struct {
		name   string
		req    *vpc.CreateTrafficMirrorFilterRequest
		code   string
		status int
	}{
		{"dry run", &vpc.CreateTrafficMirrorFilterRequest{DryRun: dara.Bool(true)}, codeDryRun, http.StatusBadRequest},
		{"bad action", &vpc.CreateTrafficMirrorFilterRequest{IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: str("allow"), Priority: i32(1), Protocol: str("ALL")}}}, codeInvalidParameter, http.StatusBadRequest},
		{"no priority", &vpc.CreateTrafficMirrorFilterRequest{IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: str("accept"), Protocol: str("ALL")}}}, codeMissingParameter, http.StatusBadRequest},
		{"bad ports", &vpc.CreateTrafficMirrorFilterRequest{IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: str("accept"), Priority: i32(1), Protocol: str("TCP"), SourcePortRange: str("0/99999")}}}, codeInvalidParameter, http.StatusBadRequest},
		{"ipv6 (the alibaba profile has none)", &vpc.CreateTrafficMirrorFilterRequest{IngressRules: []*vpc.CreateTrafficMirrorFilterRequestIngressRules{{Action: str("accept"), Priority: i32(1), Protocol: str("ALL"), IpVersion: str("IPv6")}}}, codeUnsupportedIPVersion, http.StatusBadRequest},
		{"name http", &vpc.CreateTrafficMirrorFilterRequest{TrafficMirrorFilterName: str("http://x")}, codeInvalidParameter, http.StatusBadRequest},
	}
	var eleven []*vpc.CreateTrafficMirrorFilterRequestEgressRules
	for i := range 11 {
		eleven = append(eleven, &vpc.CreateTrafficMirrorFilterRequestEgressRules{Action: str("accept"), Priority: i32(int32(i + 1)), Protocol: str("ALL")})
	}
	cases = append(cases, struct {
		name   string
		req    *vpc.CreateTrafficMirrorFilterRequest
		code   string
		status int
	}{"11 rules in a direction", &vpc.CreateTrafficMirrorFilterRequest{EgressRules: eleven}, codeRuleQuota, http.StatusBadRequest})
	before := h.appliedCount()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.RegionId = str(region)
			_, err := c.CreateTrafficMirrorFilter(tc.req)
			wantError(t, err, tc.code, tc.status)
		})
	}
	if h.appliedCount() != before {
		t.Fatalf("refused requests reached the data plane: %d applies", h.appliedCount()-before)
	}
	_, err = c.UpdateTrafficMirrorFilterAttribute(&vpc.UpdateTrafficMirrorFilterAttributeRequest{RegionId: str(region), TrafficMirrorFilterId: str("tmf-nope")})
	wantError(t, err, codeFilterNotFound, http.StatusNotFound)
	_, err = c.UpdateTrafficMirrorFilterRuleAttribute(&vpc.UpdateTrafficMirrorFilterRuleAttributeRequest{RegionId: str(region)})
	wantError(t, err, codeMissingParameter, http.StatusBadRequest)
}

func TestClientTokenIdempotency(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	req := &vpc.CreateTrafficMirrorFilterRequest{RegionId: str(region), ClientToken: str("tok-1"), TrafficMirrorFilterName: str("once")}
	a := must[*vpc.CreateTrafficMirrorFilterResponse](t)(c.CreateTrafficMirrorFilter(req))
	b := must[*vpc.CreateTrafficMirrorFilterResponse](t)(c.CreateTrafficMirrorFilter(req))
	if dara.StringValue(a.Body.TrafficMirrorFilterId) != dara.StringValue(b.Body.TrafficMirrorFilterId) {
		t.Fatalf("a retried ClientToken made a second filter: %s, %s", dara.StringValue(a.Body.TrafficMirrorFilterId), dara.StringValue(b.Body.TrafficMirrorFilterId))
	}
	if n := len(h.srv.acct.spec.TrafficMirrorFilters); n != 1 {
		t.Fatalf("%d filters after a retry", n)
	}
	req.TrafficMirrorFilterName = str("other")
	_, err := c.CreateTrafficMirrorFilter(req)
	wantError(t, err, codeIdempotentMismatch, http.StatusBadRequest)
}

func TestListFiltersPagination(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	want := map[string]bool{}
	for i := range 5 {
		want[createFilter(t, c, fmt.Sprintf("page-%d", i))] = true
	}
	got := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		req := &vpc.ListTrafficMirrorFiltersRequest{RegionId: str(region), MaxResults: i32(2)}
		if token != "" {
			req.NextToken = str(token)
		}
		res := must[*vpc.ListTrafficMirrorFiltersResponse](t)(c.ListTrafficMirrorFilters(req))
		if dara.StringValue(res.Body.TotalCount) != "5" || len(res.Body.TrafficMirrorFilters) > 2 {
			t.Fatalf("page %d: total %s, %d items", pages, dara.StringValue(res.Body.TotalCount), len(res.Body.TrafficMirrorFilters))
		}
		for _, f := range res.Body.TrafficMirrorFilters {
			got[dara.StringValue(f.TrafficMirrorFilterId)] = true
		}
		if token = dara.StringValue(res.Body.NextToken); token == "" {
			if pages != 2 {
				t.Fatalf("%d pages for 5 filters of 2", pages+1)
			}
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("paging gave %d filters, want %d", len(got), len(want))
	}
	byName := must[*vpc.ListTrafficMirrorFiltersResponse](t)(c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: str(region), TrafficMirrorFilterName: str("page-3"),
		Tags: []*vpc.ListTrafficMirrorFiltersRequestTags{{Key: str("team"), Value: str("netops")}}}))
	if len(byName.Body.TrafficMirrorFilters) != 1 || dara.StringValue(byName.Body.TrafficMirrorFilters[0].TrafficMirrorFilterName) != "page-3" {
		t.Fatalf("by name and tag: %v", byName.Body.TrafficMirrorFilters)
	}
	_, err := c.ListTrafficMirrorFilters(&vpc.ListTrafficMirrorFiltersRequest{RegionId: str(region), MaxResults: i32(101)})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest)
}
