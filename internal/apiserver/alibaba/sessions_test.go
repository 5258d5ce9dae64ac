package alibaba

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// getSession lists one session by id.
func getSession(t *testing.T, c *vpc.Client, id string) *vpc.ListTrafficMirrorSessionsResponseBodyTrafficMirrorSessions {
	t.Helper()
	res := must[*vpc.ListTrafficMirrorSessionsResponse](t)(c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{
		RegionId: str(region), TrafficMirrorSessionIds: []*string{str(id)}}))
	if len(res.Body.TrafficMirrorSessions) != 1 {
		t.Fatalf("session %s: %d listed", id, len(res.Body.TrafficMirrorSessions))
	}
	return res.Body.TrafficMirrorSessions[0]
}

// appliedSession returns the data plane's session, nil when it has none.
func appliedSession(h *harness, id string) *cloudmock.TrafficMirrorSession {
	s := h.lastApplied()
	for _, x := range s.TrafficMirrorSessions {
		if x.TrafficMirrorSessionId == id {
			return x
		}
	}
	return nil
}

func sources(x *cloudmock.TrafficMirrorSession) []string {
	return append([]string{x.NetworkInterfaceId}, x.TrafficMirrorSourceIds...)
}

func TestSessionLifecycle(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	fid := createFilter(t, c, "f")
	web, db, app, collector := h.id("web-eni"), h.id("db-eni"), h.id("app-eni"), h.id("collector-eni")
	res := must[*vpc.CreateTrafficMirrorSessionResponse](t)(c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{
		RegionId: str(region), TrafficMirrorSessionName: str("s1"), TrafficMirrorFilterId: str(fid), Priority: i32(1),
		TrafficMirrorSourceIds: []*string{str(web)}, TrafficMirrorTargetId: str(collector), TrafficMirrorTargetType: str("NetworkInterface")}))
	id := dara.StringValue(res.Body.TrafficMirrorSessionId)
	if id[:4] != "tms-" {
		t.Fatalf("session id %q", id)
	}
	s := getSession(t, c, id)
	if dara.StringValue(s.TrafficMirrorSessionStatus) != statusCreating || dara.BoolValue(s.Enabled) || dara.Int32Value(s.PacketLength) != defaultPacketLength ||
		dara.Int32Value(s.VirtualNetworkId) == 0 || dara.StringValue(s.TrafficMirrorTargetId) != collector || dara.StringValue(s.TrafficMirrorTargetType) != "NetworkInterface" {
		t.Fatalf("new session: %v", s)
	}
	if appliedSession(h, id) != nil {
		t.Fatal("a session created without Enabled=true reached the data plane (Alibaba's default is disabled)")
	}
	_, err := c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), Enabled: dara.Bool(true)})
	wantError(t, err, codeSessionStatus, http.StatusBadRequest)
	h.clock.advance(settle)
	must[*vpc.UpdateTrafficMirrorSessionAttributeResponse](t)(c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(id), Enabled: dara.Bool(true), VirtualNetworkId: i32(77), PacketLength: i32(200)}))
	x := appliedSession(h, id)
	if x == nil || *x.VirtualNetworkId != 77 || *x.PacketLength != 200 || x.NetworkInterfaceId != web {
		t.Fatalf("enabled session in the data plane: %+v", x)
	}
	if st := dara.StringValue(getSession(t, c, id).TrafficMirrorSessionStatus); st != statusModifying {
		t.Fatalf("updated session is %s", st)
	}
	h.clock.advance(settle)
	must[*vpc.AddSourcesToTrafficMirrorSessionResponse](t)(c.AddSourcesToTrafficMirrorSession(&vpc.AddSourcesToTrafficMirrorSessionRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(db), str(app)}}))
	if got := sources(appliedSession(h, id)); !slices.Equal(got, []string{web, db, app}) {
		t.Fatalf("sources after adding: %v", got)
	}
	if s := getSession(t, c, id); dara.StringValue(s.TrafficMirrorSessionStatus) != statusModifying || len(s.TrafficMirrorSourceIds) != 3 {
		t.Fatalf("after adding sources: %v", s)
	}
	_, err = c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(web)}})
	wantError(t, err, codeSessionStatus, http.StatusBadRequest)
	h.clock.advance(settle)
	must[*vpc.RemoveSourcesFromTrafficMirrorSessionResponse](t)(c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(web)}}))
	if got := sources(appliedSession(h, id)); !slices.Equal(got, []string{db, app}) {
		t.Fatalf("sources after removing: %v", got)
	}
	h.clock.advance(settle)
	// Retarget to the private CLB.
	must[*vpc.UpdateTrafficMirrorSessionAttributeResponse](t)(c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorTargetId: str(h.id("clb")), TrafficMirrorTargetType: str("SLB")}))
	spec := h.lastApplied()
	if len(spec.TrafficMirrorTargets) != 1 || spec.TrafficMirrorTargets[0].NetworkLoadBalancerArn != h.id("clb") {
		t.Fatalf("targets after retargeting: %+v", spec.TrafficMirrorTargets)
	}
	h.clock.advance(settle)
	must[*vpc.UpdateTrafficMirrorSessionAttributeResponse](t)(c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(id), Enabled: dara.Bool(false)}))
	if appliedSession(h, id) != nil {
		t.Fatal("a disabled session is still in the data plane")
	}
	h.clock.advance(settle)
	must[*vpc.DeleteTrafficMirrorSessionResponse](t)(c.DeleteTrafficMirrorSession(&vpc.DeleteTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id)}))
	if st := dara.StringValue(getSession(t, c, id).TrafficMirrorSessionStatus); st != statusDeleting {
		t.Fatalf("deleted session is %s", st)
	}
	if n := len(h.srv.acct.spec.TrafficMirrorTargets); n != 0 {
		t.Fatalf("%d model targets left without sessions", n)
	}
	h.clock.advance(settle)
	list := must[*vpc.ListTrafficMirrorSessionsResponse](t)(c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: str(region)}))
	if len(list.Body.TrafficMirrorSessions) != 0 {
		t.Fatalf("a settled deletion is listed: %v", list.Body.TrafficMirrorSessions)
	}
	_, err = c.DeleteTrafficMirrorSession(&vpc.DeleteTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id)})
	wantError(t, err, codeSessionNotFound, http.StatusNotFound)
}

// newSession creates an enabled session and lets it settle.
func newSession(t *testing.T, h *harness, c *vpc.Client, fid string, prio int32, srcs ...string) (string, error) {
	t.Helper()
	var ids []*string
	for _, s := range srcs {
		ids = append(ids, str(s))
	}
	res, err := c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorFilterId: str(fid),
		Priority: i32(prio), TrafficMirrorSourceIds: ids, TrafficMirrorTargetId: str(h.id("collector-eni")),
		TrafficMirrorTargetType: str("NetworkInterface"), Enabled: dara.Bool(true)})
	if err != nil {
		return "", err
	}
	h.clock.advance(settle)
	return dara.StringValue(res.Body.TrafficMirrorSessionId), nil
}

func TestSessionRefusals(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(true)
	fid := createFilter(t, c, "f")
	h.clock.advance(settle)
	web := h.id("web-eni")
	id := must[string](t)(newSession(t, h, c, fid, 1, web))
	_, err := newSession(t, h, c, fid, 2, web)
	wantError(t, err, codeSessionQuota, http.StatusBadRequest) // alibaba: one session per source
	_, err = newSession(t, h, c, fid, 1, h.id("db-eni"))
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest) // a priority is unique in the account (the model's alibaba rule)
	if !strings.Contains(err.Error(), "already used by session "+id) {
		t.Fatalf("the refusal does not name the session that has priority 1: %v", err)
	}
	_, err = newSession(t, h, c, fid, 3, h.id("clb"))
	wantError(t, err, codeENINotFound, http.StatusNotFound) // a source must be an ENI
	_, err = newSession(t, h, c, fid, 4, "eni-doesnotexist")
	wantError(t, err, codeENINotFound, http.StatusNotFound)
	_, err = newSession(t, h, c, "tmf-doesnotexist", 5, h.id("db-eni"))
	wantError(t, err, codeFilterNotFound, http.StatusNotFound)
	_, err = c.AddSourcesToTrafficMirrorSession(&vpc.AddSourcesToTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(web)}})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest)
	_, err = c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(h.id("db-eni"))}})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest)
	_, err = c.DeleteTrafficMirrorFilter(&vpc.DeleteTrafficMirrorFilterRequest{RegionId: str(region), TrafficMirrorFilterId: str(fid)})
	wantError(t, err, codeFilterInUse, http.StatusBadRequest)
	_, err = c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorFilterId: str(fid), Priority: i32(9),
		TrafficMirrorSourceIds: []*string{str(h.id("db-eni"))}, TrafficMirrorTargetId: str(h.id("collector-eni")), TrafficMirrorTargetType: str("Instance")})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest)
	_, err = c.CreateTrafficMirrorSession(&vpc.CreateTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorFilterId: str(fid)})
	wantError(t, err, codeMissingParameter, http.StatusBadRequest)
	_, err = c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), DryRun: dara.Bool(true), PacketLength: i32(100)})
	wantError(t, err, codeDryRun, http.StatusBadRequest)
	if x := appliedSession(h, id); x == nil || *x.PacketLength != defaultPacketLength {
		t.Fatalf("a dry run changed the session: %+v", x)
	}
	_, err = c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), PacketLength: i32(9000)})
	wantError(t, err, codeInvalidParameter, http.StatusBadRequest) // the model's bound (alibaba profile)
}

func TestSourcesQuota(t *testing.T) {
	spec := fixtureSpec()
	for i := range 11 {
		spec.NetworkInterfaces = append(spec.NetworkInterfaces, cloudmock.NetworkInterface{
			NetworkInterfaceId: "extra-" + string(rune('a'+i)), SubnetId: "public", PrivateIpAddress: "10.0.1." + itoa(20+i)})
	}
	h := newHarness(t, spec, true)
	c := h.client(false)
	fid := createFilter(t, c, "f")
	var srcs []string
	for i := range 11 {
		srcs = append(srcs, h.id("extra-"+string(rune('a'+i))))
	}
	_, err := newSession(t, h, c, fid, 1, srcs...)
	wantError(t, err, codeSourceQuota, http.StatusBadRequest)
	id := must[string](t)(newSession(t, h, c, fid, 1, srcs[:10]...))
	_, err = c.AddSourcesToTrafficMirrorSession(&vpc.AddSourcesToTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(srcs[10])}})
	wantError(t, err, codeSourceQuota, http.StatusBadRequest)
}

func TestListSessionsFilters(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	fid := createFilter(t, c, "f")
	a := must[string](t)(newSession(t, h, c, fid, 1, h.id("web-eni")))
	b := must[string](t)(newSession(t, h, c, fid, 2, h.id("db-eni")))
	must[*vpc.UpdateTrafficMirrorSessionAttributeResponse](t)(c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(b), Enabled: dara.Bool(false)}))
	list := func(req *vpc.ListTrafficMirrorSessionsRequest) []string {
		req.RegionId = str(region)
		res := must[*vpc.ListTrafficMirrorSessionsResponse](t)(c.ListTrafficMirrorSessions(req))
		var ids []string
		for _, s := range res.Body.TrafficMirrorSessions {
			ids = append(ids, dara.StringValue(s.TrafficMirrorSessionId))
		}
		return ids
	}
	for name, tc := range map[string]struct {
		req  *vpc.ListTrafficMirrorSessionsRequest
		want []string
	}{
		"enabled":  {&vpc.ListTrafficMirrorSessionsRequest{Enabled: dara.Bool(true)}, []string{a}},
		"disabled": {&vpc.ListTrafficMirrorSessionsRequest{Enabled: dara.Bool(false)}, []string{b}},
		"source":   {&vpc.ListTrafficMirrorSessionsRequest{TrafficMirrorSourceId: str(h.id("db-eni"))}, []string{b}},
		"priority": {&vpc.ListTrafficMirrorSessionsRequest{Priority: i32(1)}, []string{a}},
		"target":   {&vpc.ListTrafficMirrorSessionsRequest{TrafficMirrorTargetId: str(h.id("collector-eni")), TrafficMirrorFilterId: str(fid)}, sortedIDs(a, b)},
		"none":     {&vpc.ListTrafficMirrorSessionsRequest{TrafficMirrorFilterId: str("tmf-other")}, nil},
	} {
		if got := list(tc.req); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
	page := must[*vpc.ListTrafficMirrorSessionsResponse](t)(c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: str(region), MaxResults: i32(1)}))
	next := dara.StringValue(page.Body.NextToken)
	if len(page.Body.TrafficMirrorSessions) != 1 || next == "" || dara.StringValue(page.Body.TotalCount) != "2" {
		t.Fatalf("first page: %v", page.Body)
	}
	page = must[*vpc.ListTrafficMirrorSessionsResponse](t)(c.ListTrafficMirrorSessions(&vpc.ListTrafficMirrorSessionsRequest{RegionId: str(region), MaxResults: i32(1), NextToken: str(next)}))
	if len(page.Body.TrafficMirrorSessions) != 1 || dara.StringValue(page.Body.NextToken) != "" || dara.StringValue(page.Body.TrafficMirrorSessions[0].TrafficMirrorSessionId) != sortedIDs(a, b)[1] {
		t.Fatalf("second page: %v", page.Body)
	}
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// The last source cannot be removed (the model needs one), a session can
// change filters, and GET /mirrorlab/spec names the disabled sessions.
func TestSessionEdges(t *testing.T) {
	h := newHarness(t, fixtureSpec(), true)
	c := h.client(false)
	f1, f2 := createFilter(t, c, "one"), createFilter(t, c, "two")
	web := h.id("web-eni")
	id := must[string](t)(newSession(t, h, c, f1, 1, web))
	_, err := c.RemoveSourcesFromTrafficMirrorSession(&vpc.RemoveSourcesFromTrafficMirrorSessionRequest{RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorSourceIds: []*string{str(web)}})
	wantError(t, err, codeMissingParameter, http.StatusBadRequest)
	must[*vpc.UpdateTrafficMirrorSessionAttributeResponse](t)(c.UpdateTrafficMirrorSessionAttribute(&vpc.UpdateTrafficMirrorSessionAttributeRequest{
		RegionId: str(region), TrafficMirrorSessionId: str(id), TrafficMirrorFilterId: str(f2), Enabled: dara.Bool(false), TrafficMirrorSessionName: str("renamed")}))
	if x := appliedSession(h, id); x != nil {
		t.Fatalf("disabled session applied: %+v", x)
	}
	if s := getSession(t, c, id); dara.StringValue(s.TrafficMirrorFilterId) != f2 || dara.StringValue(s.TrafficMirrorSessionName) != "renamed" {
		t.Fatalf("after the update: %v", s)
	}
	status, body := raw(t, h, "GET", "/mirrorlab/spec", "", "")
	disabled, _ := body["DisabledSessions"].([]any)
	if status != 200 || len(disabled) != 1 || disabled[0] != id {
		t.Fatalf("GET /mirrorlab/spec: %d %v", status, body["DisabledSessions"])
	}
}
