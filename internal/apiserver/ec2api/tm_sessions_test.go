package ec2api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// mirrorSetup creates a filter (accept TCP 80 in) and an ENI target.
func mirrorSetup(tb testing.TB, c *ec2.Client) (filterID, targetID string) {
	tb.Helper()
	filterID = newFilter(tb, c, "web")
	in := ruleIn(filterID, types.TrafficDirectionIngress, 100, types.TrafficMirrorRuleActionAccept)
	in.Protocol = aws.Int32(6)
	in.DestinationPortRange = &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(80), ToPort: aws.Int32(80)}
	newRule(tb, c, in)
	targetID = newTarget(tb, c, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eniAdapter)})
	return filterID, targetID
}

func sessionIn(src, filterID, targetID string, n int32) *ec2.CreateTrafficMirrorSessionInput {
	return &ec2.CreateTrafficMirrorSessionInput{
		NetworkInterfaceId:    aws.String(src),
		TrafficMirrorFilterId: aws.String(filterID),
		TrafficMirrorTargetId: aws.String(targetID),
		SessionNumber:         aws.Int32(n),
	}
}

func newSession(tb testing.TB, c *ec2.Client, in *ec2.CreateTrafficMirrorSessionInput) *types.TrafficMirrorSession {
	tb.Helper()
	return must(c.CreateTrafficMirrorSession(ctx, in))(tb).TrafficMirrorSession
}

func TestSessions(t *testing.T) {
	var applied []cloudmock.Spec
	s, c := testServer(t, Config{Apply: func(sp cloudmock.Spec) error {
		if _, err := cloudmock.New(sp); err != nil {
			t.Errorf("Apply got a spec the model refuses: %v", err)
		}
		applied = append(applied, sp)
		return nil
	}})
	fid, tid := mirrorSetup(t, c)
	in := sessionIn(eniWeb, fid, tid, 1)
	in.Description = aws.String("web to adapter")
	in.TagSpecifications = tagSpec(types.ResourceTypeTrafficMirrorSession, "Name", "web")
	x := newSession(t, c, in)
	sid := aws.ToString(x.TrafficMirrorSessionId)
	vni := aws.ToInt32(x.VirtualNetworkId)
	if len(sid) != len("tms-")+17 || vni < 1 || vni > 1<<24-1 || x.PacketLength != nil || aws.ToString(x.OwnerId) != "123456789012" || len(x.Tags) != 1 {
		t.Fatalf("created session = %+v", x)
	}
	// The VNI the server chose is in the Spec: the model will not draw another.
	last := applied[len(applied)-1]
	if len(last.TrafficMirrorSessions) != 1 || last.TrafficMirrorSessions[0].VirtualNetworkId == nil || *last.TrafficMirrorSessions[0].VirtualNetworkId != int(vni) {
		t.Fatalf("applied sessions = %+v", last.TrafficMirrorSessions)
	}
	m, err := cloudmock.New(s.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.SessionVNI(sid); got != uint32(vni) {
		t.Fatalf("model VNI %d, API VNI %d", got, vni)
	}
	in2 := sessionIn(eniWeb, fid, tid, 2)
	in2.VirtualNetworkId = aws.Int32(4242)
	in2.PacketLength = aws.Int32(128)
	x2 := newSession(t, c, in2)
	if aws.ToInt32(x2.VirtualNetworkId) != 4242 || aws.ToInt32(x2.PacketLength) != 128 {
		t.Fatalf("session 2 = %+v", x2)
	}
	sid2 := aws.ToString(x2.TrafficMirrorSessionId)

	// Modify, and RemoveField.
	mod := must(c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{
		TrafficMirrorSessionId: aws.String(sid2),
		SessionNumber:          aws.Int32(3),
		Description:            aws.String("second"),
		RemoveFields:           []types.TrafficMirrorSessionField{types.TrafficMirrorSessionFieldPacketLength, types.TrafficMirrorSessionFieldVirtualNetworkId},
	}))(t).TrafficMirrorSession
	if aws.ToInt32(mod.SessionNumber) != 3 || mod.PacketLength != nil || aws.ToString(mod.Description) != "second" || mod.VirtualNetworkId == nil || aws.ToInt32(mod.VirtualNetworkId) == 4242 {
		t.Fatalf("modified session = %+v", mod)
	}
	if got := s.Spec().TrafficMirrorSessions[1]; got.SessionNumber != 3 || got.PacketLength != nil || got.VirtualNetworkId == nil {
		t.Fatalf("spec session = %+v", got)
	}
	_, err = c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{
		TrafficMirrorSessionId: aws.String(sid2), PacketLength: aws.Int32(100),
		RemoveFields: []types.TrafficMirrorSessionField{types.TrafficMirrorSessionFieldPacketLength},
	})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid2), SessionNumber: aws.Int32(1)})
	wantCode(t, err, "InvalidParameterValue") // number 1 is taken on that source
	_, err = c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid2), TrafficMirrorFilterId: aws.String("tmf-0000000000000dead")})
	wantCode(t, err, "InvalidTrafficMirrorFilterId.NotFound")
	_, err = c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid2), PacketLength: aws.Int32(9000)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid2), Description: aws.String("x"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.ModifyTrafficMirrorSession(ctx, &ec2.ModifyTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String("tms-0000000000000dead")})
	wantCode(t, err, "InvalidTrafficMirrorSessionId.NotFound")

	// A filter or target in use cannot be deleted.
	_, err = c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(fid)})
	wantCode(t, err, "DependencyViolation")
	_, err = c.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(tid)})
	wantCode(t, err, "DependencyViolation")

	_, err = c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	for _, id := range []string{sid, sid2} {
		if got := aws.ToString(must(c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(id)}))(t).TrafficMirrorSessionId); got != id {
			t.Fatalf("delete answered %s, want %s", got, id)
		}
	}
	_, err = c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid)})
	wantCode(t, err, "InvalidTrafficMirrorSessionId.NotFound")
	if s.Tags(sid) != nil {
		t.Fatal("deleted session's tags remain")
	}
	must(c.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(tid)}))(t)
	must(c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(fid)}))(t)
	if len(applied[len(applied)-1].TrafficMirrorFilters) != 0 {
		t.Fatal("the last applied spec still has the filter")
	}
}

func TestSessionErrors(t *testing.T) {
	s, c := testServer(t, Config{})
	fid, tid := mirrorSetup(t, c)
	bad := func(code string, mod func(*ec2.CreateTrafficMirrorSessionInput)) {
		t.Helper()
		in := sessionIn(eniWeb, fid, tid, 1)
		mod(in)
		_, err := c.CreateTrafficMirrorSession(ctx, in)
		wantCode(t, err, code)
	}
	none := func(*ec2.CreateTrafficMirrorSessionInput) {}
	bad("InvalidNetworkInterfaceID.NotFound", func(in *ec2.CreateTrafficMirrorSessionInput) {
		in.NetworkInterfaceId = aws.String("eni-0000000000000dead")
	})
	bad("InvalidTrafficMirrorFilterId.NotFound", func(in *ec2.CreateTrafficMirrorSessionInput) {
		in.TrafficMirrorFilterId = aws.String("tmf-0000000000000dead")
	})
	bad("InvalidTrafficMirrorTargetId.NotFound", func(in *ec2.CreateTrafficMirrorSessionInput) {
		in.TrafficMirrorTargetId = aws.String("tmt-0000000000000dead")
	})
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorSessionInput) { in.SessionNumber = aws.Int32(0) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorSessionInput) { in.SessionNumber = aws.Int32(32767) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorSessionInput) { in.VirtualNetworkId = aws.Int32(1 << 24) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorSessionInput) { in.PacketLength = aws.Int32(0) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorSessionInput) { in.NetworkInterfaceId = aws.String(eniAdapter) }) // source = target ENI
	bad("DryRunOperation", func(in *ec2.CreateTrafficMirrorSessionInput) { in.DryRun = aws.Bool(true) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorSessionInput) {
		in.TagSpecifications = tagSpec(types.ResourceTypeTrafficMirrorTarget, "a", "b")
	})
	wantRaw(t, s, fmt.Sprintf("Action=CreateTrafficMirrorSession&Version=2016-11-15&NetworkInterfaceId=%s&TrafficMirrorFilterId=%s&TrafficMirrorTargetId=%s", eniWeb, fid, tid), 400, "MissingParameter")
	wantRaw(t, s, "Action=DeleteTrafficMirrorSession&Version=2016-11-15", 400, "MissingParameter")
	wantRaw(t, s, "Action=ModifyTrafficMirrorSession&Version=2016-11-15", 400, "MissingParameter")
	if n := len(s.Spec().TrafficMirrorSessions); n != 0 {
		t.Fatalf("refused creates left %d sessions", n)
	}
	// Three sessions per source ENI (aws profile), then the model's code.
	for n := int32(1); n <= 3; n++ {
		newSession(t, c, sessionIn(eniWeb, fid, tid, n))
	}
	bad("TrafficMirrorSessionLimitExceeded", func(in *ec2.CreateTrafficMirrorSessionInput) { in.SessionNumber = aws.Int32(4) })
	bad("InvalidParameterValue", none) // session number 1 is taken
	// An NLB target allows at most 8500 bytes.
	nlbT := newTarget(t, c, &ec2.CreateTrafficMirrorTargetInput{NetworkLoadBalancerArn: aws.String(nlbArn)})
	in := sessionIn(eniClient, fid, nlbT, 1)
	in.PacketLength = aws.Int32(8501)
	_, err := c.CreateTrafficMirrorSession(ctx, in)
	wantCode(t, err, "InvalidParameterValue")
	// Idempotency: same token, same answer (same VNI), one session.
	in = sessionIn(eniTest, fid, tid, 1)
	in.ClientToken = aws.String("s1")
	a, b := newSession(t, c, in), newSession(t, c, in)
	if aws.ToString(a.TrafficMirrorSessionId) != aws.ToString(b.TrafficMirrorSessionId) || aws.ToInt32(a.VirtualNetworkId) != aws.ToInt32(b.VirtualNetworkId) {
		t.Fatalf("same token: %+v then %+v", a, b)
	}
	in.SessionNumber = aws.Int32(2)
	_, err = c.CreateTrafficMirrorSession(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
	if n := len(s.Spec().TrafficMirrorSessions); n != 4 {
		t.Fatalf("%d sessions, want 4", n)
	}
}

func TestDescribeSessions(t *testing.T) {
	_, c := testServer(t, Config{})
	fid, tid := mirrorSetup(t, c)
	fid2 := newFilter(t, c, "other")
	var ids []string
	for i, src := range []string{eniWeb, eniClient, eniTest} {
		for n := int32(1); n <= 2; n++ {
			in := sessionIn(src, fid, tid, n)
			if n == 2 {
				in.TrafficMirrorFilterId = aws.String(fid2)
				in.PacketLength = aws.Int32(64)
			}
			in.VirtualNetworkId = aws.Int32(int32(10*i) + n)
			in.Description = aws.String(fmt.Sprintf("%s #%d", src, n))
			in.TagSpecifications = tagSpec(types.ResourceTypeTrafficMirrorSession, "n", fmt.Sprint(n))
			ids = append(ids, aws.ToString(newSession(t, c, in).TrafficMirrorSessionId))
		}
	}
	f := func(name string, vals ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: vals}}
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want int
	}{
		{nil, 6},
		{f("network-interface-id", eniWeb), 2},
		{f("session-number", "2"), 3},
		{f("packet-length", "64"), 3},
		{f("virtual-network-id", "11", "21"), 2},
		{f("traffic-mirror-filter-id", fid2), 3},
		{f("traffic-mirror-target-id", tid), 6},
		{f("traffic-mirror-session-id", ids[0]), 1},
		{f("owner-id", "123456789012"), 6},
		{f("description", "*#1"), 3},
		{f("tag:n", "1"), 3},
		{f("tag-key", "n"), 6},
		{f("tag-value", "2"), 3},
		{append(f("session-number", "2"), f("network-interface-id", eniTest)...), 1},
	} {
		out := must(c.DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{Filters: tc.fs}))(t)
		if len(out.TrafficMirrorSessions) != tc.want {
			t.Errorf("filters %+v: %d sessions, want %d", tc.fs, len(out.TrafficMirrorSessions), tc.want)
		}
	}
	d := must(c.DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{TrafficMirrorSessionIds: ids[1:3]}))(t)
	if len(d.TrafficMirrorSessions) != 2 {
		t.Fatalf("by id: %d sessions", len(d.TrafficMirrorSessions))
	}
	_, err := c.DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{TrafficMirrorSessionIds: []string{"tms-0000000000000dead"}})
	wantCode(t, err, "InvalidTrafficMirrorSessionId.NotFound")
	_, err = c.DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{Filters: f("source", "x")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	p := ec2.NewDescribeTrafficMirrorSessionsPaginator(c, &ec2.DescribeTrafficMirrorSessionsInput{MaxResults: aws.Int32(5)})
	seen, pages := map[string]bool{}, 0
	for p.HasMorePages() {
		for _, x := range must(p.NextPage(ctx))(t).TrafficMirrorSessions {
			seen[aws.ToString(x.TrafficMirrorSessionId)] = true
		}
		pages++
	}
	if pages != 2 || len(seen) != 6 {
		t.Fatalf("%d pages, %d sessions; want 2 and 6", pages, len(seen))
	}
}

// A failing Apply leaves the state as it was and answers InternalError.
func TestApplyFailureKeepsState(t *testing.T) {
	fail := false
	s, c := testServer(t, Config{Apply: func(cloudmock.Spec) error {
		if fail {
			return errors.New("lab is gone")
		}
		return nil
	}})
	fid, tid := mirrorSetup(t, c)
	sid := aws.ToString(newSession(t, c, sessionIn(eniWeb, fid, tid, 1)).TrafficMirrorSessionId)
	before := s.Spec()
	fail = true
	_, err := c.CreateTrafficMirrorSession(ctx, sessionIn(eniClient, fid, tid, 1))
	wantCode(t, err, "InternalError")
	_, err = c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid)})
	wantCode(t, err, "InternalError")
	_, err = c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{TagSpecifications: tagSpec(types.ResourceTypeTrafficMirrorFilter, "k", "v")})
	wantCode(t, err, "InternalError")
	after := s.Spec()
	if len(after.TrafficMirrorSessions) != 1 || after.TrafficMirrorSessions[0].TrafficMirrorSessionId != sid || len(after.TrafficMirrorFilters) != len(before.TrafficMirrorFilters) {
		t.Fatalf("state changed by refused changes: %+v", after.TrafficMirrorSessions)
	}
	out := must(c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{"k"}}}}))(t)
	if len(out.TrafficMirrorFilters) != 0 {
		t.Fatal("tags of a refused create were kept")
	}
	fail = false
	must(c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(sid)}))(t)
}
