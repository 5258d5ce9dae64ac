package ec2api

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func ruleIn(filterID string, dir types.TrafficDirection, n int32, action types.TrafficMirrorRuleAction) *ec2.CreateTrafficMirrorFilterRuleInput {
	return &ec2.CreateTrafficMirrorFilterRuleInput{
		TrafficMirrorFilterId: aws.String(filterID),
		TrafficDirection:      dir,
		RuleNumber:            aws.Int32(n),
		RuleAction:            action,
		SourceCidrBlock:       aws.String("0.0.0.0/0"),
		DestinationCidrBlock:  aws.String("0.0.0.0/0"),
	}
}

func newRule(tb testing.TB, c *ec2.Client, in *ec2.CreateTrafficMirrorFilterRuleInput) string {
	tb.Helper()
	return aws.ToString(must(c.CreateTrafficMirrorFilterRule(ctx, in))(tb).TrafficMirrorFilterRule.TrafficMirrorFilterRuleId)
}

func TestFilterRules(t *testing.T) {
	s, c := testServer(t, Config{})
	fid := newFilter(t, c, "web")
	in := ruleIn(fid, types.TrafficDirectionIngress, 100, types.TrafficMirrorRuleActionAccept)
	in.Protocol = aws.Int32(6)
	in.DestinationPortRange = &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(80), ToPort: aws.Int32(80)}
	in.Description = aws.String("http in")
	in.TagSpecifications = tagSpec(types.ResourceTypeTrafficMirrorFilterRule, "Name", "http")
	out := must(c.CreateTrafficMirrorFilterRule(ctx, in))(t).TrafficMirrorFilterRule
	rid := aws.ToString(out.TrafficMirrorFilterRuleId)
	if len(rid) != len("tmfr-")+17 || out.TrafficDirection != types.TrafficDirectionIngress || aws.ToInt32(out.Protocol) != 6 ||
		aws.ToInt32(out.DestinationPortRange.FromPort) != 80 || aws.ToString(out.TrafficMirrorFilterId) != fid || len(out.Tags) != 1 {
		t.Fatalf("created rule = %+v", out)
	}
	r := s.Spec().TrafficMirrorFilters[0].IngressFilterRules[0]
	if r.TrafficMirrorFilterRuleId != rid || r.Protocol != 6 || r.DestinationPortRange.ToPort != 80 || r.RuleAction != "accept" {
		t.Fatalf("spec rule = %+v", r)
	}
	egress := newRule(t, c, ruleIn(fid, types.TrafficDirectionEgress, 100, types.TrafficMirrorRuleActionReject))
	f := must(c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{TrafficMirrorFilterIds: []string{fid}}))(t).TrafficMirrorFilters[0]
	if len(f.IngressFilterRules) != 1 || len(f.EgressFilterRules) != 1 || aws.ToString(f.EgressFilterRules[0].TrafficMirrorFilterRuleId) != egress {
		t.Fatalf("filter rules = %+v / %+v", f.IngressFilterRules, f.EgressFilterRules)
	}

	// Modify: new values, RemoveField, and a move to the other direction.
	m := must(c.ModifyTrafficMirrorFilterRule(ctx, &ec2.ModifyTrafficMirrorFilterRuleInput{
		TrafficMirrorFilterRuleId: aws.String(rid),
		RuleAction:                types.TrafficMirrorRuleActionReject,
		SourcePortRange:           &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(1024), ToPort: aws.Int32(65535)},
		SourceCidrBlock:           aws.String("10.0.0.0/24"),
		RemoveFields:              []types.TrafficMirrorFilterRuleField{types.TrafficMirrorFilterRuleFieldDescription},
	}))(t).TrafficMirrorFilterRule
	if m.RuleAction != types.TrafficMirrorRuleActionReject || aws.ToString(m.Description) != "" || aws.ToInt32(m.SourcePortRange.FromPort) != 1024 || aws.ToString(m.SourceCidrBlock) != "10.0.0.0/24" {
		t.Fatalf("modified rule = %+v", m)
	}
	_, err := c.ModifyTrafficMirrorFilterRule(ctx, &ec2.ModifyTrafficMirrorFilterRuleInput{
		TrafficMirrorFilterRuleId: aws.String(rid),
		RemoveFields:              []types.TrafficMirrorFilterRuleField{types.TrafficMirrorFilterRuleFieldProtocol},
	})
	// Port ranges without TCP/UDP: the model's rule.
	wantCode(t, err, "InvalidParameterCombination")
	m = must(c.ModifyTrafficMirrorFilterRule(ctx, &ec2.ModifyTrafficMirrorFilterRuleInput{
		TrafficMirrorFilterRuleId: aws.String(rid),
		TrafficDirection:          types.TrafficDirectionEgress,
		RuleNumber:                aws.Int32(200),
		RemoveFields: []types.TrafficMirrorFilterRuleField{types.TrafficMirrorFilterRuleFieldSourcePortRange,
			types.TrafficMirrorFilterRuleFieldDestinationPortRange, types.TrafficMirrorFilterRuleFieldProtocol},
	}))(t).TrafficMirrorFilterRule
	if m.TrafficDirection != types.TrafficDirectionEgress || m.SourcePortRange != nil || m.DestinationPortRange != nil || m.Protocol != nil {
		t.Fatalf("moved rule = %+v", m)
	}
	sf := s.Spec().TrafficMirrorFilters[0]
	if len(sf.IngressFilterRules) != 0 || len(sf.EgressFilterRules) != 2 {
		t.Fatalf("after the move: %d ingress, %d egress rules", len(sf.IngressFilterRules), len(sf.EgressFilterRules))
	}
	// Same rule number twice in a direction: the model's rule and code.
	_, err = c.ModifyTrafficMirrorFilterRule(ctx, &ec2.ModifyTrafficMirrorFilterRuleInput{TrafficMirrorFilterRuleId: aws.String(rid), RuleNumber: aws.Int32(100)})
	wantCode(t, err, "TrafficMirrorFilterRuleAlreadyExists")

	must(c.DeleteTrafficMirrorFilterRule(ctx, &ec2.DeleteTrafficMirrorFilterRuleInput{TrafficMirrorFilterRuleId: aws.String(rid)}))(t)
	if s.Tags(rid) != nil || len(s.Spec().TrafficMirrorFilters[0].EgressFilterRules) != 1 {
		t.Fatal("deleted rule or its tags remain")
	}
	_, err = c.DeleteTrafficMirrorFilterRule(ctx, &ec2.DeleteTrafficMirrorFilterRuleInput{TrafficMirrorFilterRuleId: aws.String(rid)})
	wantCode(t, err, "InvalidTrafficMirrorFilterRuleId.NotFound")
	_, err = c.ModifyTrafficMirrorFilterRule(ctx, &ec2.ModifyTrafficMirrorFilterRuleInput{TrafficMirrorFilterRuleId: aws.String(rid), RuleNumber: aws.Int32(3)})
	wantCode(t, err, "InvalidTrafficMirrorFilterRuleId.NotFound")
	// Deleting the filter deletes its rules.
	must(c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(fid)}))(t)
	_, err = c.DescribeTrafficMirrorFilterRules(ctx, &ec2.DescribeTrafficMirrorFilterRulesInput{TrafficMirrorFilterRuleIds: []string{egress}})
	wantCode(t, err, "InvalidTrafficMirrorFilterRuleId.NotFound")
}

func TestFilterRuleErrors(t *testing.T) {
	s, c := testServer(t, Config{})
	fid := newFilter(t, c, "x")
	bad := func(code string, mod func(*ec2.CreateTrafficMirrorFilterRuleInput)) {
		t.Helper()
		in := ruleIn(fid, types.TrafficDirectionIngress, 10, types.TrafficMirrorRuleActionAccept)
		mod(in)
		_, err := c.CreateTrafficMirrorFilterRule(ctx, in)
		wantCode(t, err, code)
	}
	bad("InvalidTrafficMirrorFilterId.NotFound", func(in *ec2.CreateTrafficMirrorFilterRuleInput) {
		in.TrafficMirrorFilterId = aws.String("tmf-0000000000000dead")
	})
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.RuleNumber = aws.Int32(0) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.RuleNumber = aws.Int32(32767) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.RuleAction = "drop" })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.TrafficDirection = "sideways" })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.SourceCidrBlock = aws.String("10.0.0.0/33") })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.Protocol = aws.Int32(256) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.DestinationCidrBlock = aws.String("::/0") })
	bad("InvalidParameterCombination", func(in *ec2.CreateTrafficMirrorFilterRuleInput) {
		in.Protocol = aws.Int32(1)
		in.DestinationPortRange = &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(1), ToPort: aws.Int32(2)}
	})
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) {
		in.Protocol = aws.Int32(6)
		in.DestinationPortRange = &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(90), ToPort: aws.Int32(80)}
	})
	bad("MissingParameter", func(in *ec2.CreateTrafficMirrorFilterRuleInput) {
		in.Protocol = aws.Int32(6)
		in.DestinationPortRange = &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(90)}
	})
	bad("DryRunOperation", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.DryRun = aws.Bool(true) })
	bad("InvalidParameterValue", func(in *ec2.CreateTrafficMirrorFilterRuleInput) {
		in.TagSpecifications = tagSpec(types.ResourceTypeTrafficMirrorFilter, "a", "b")
	})
	wantRaw(t, s, "Action=CreateTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterId="+fid+"&TrafficDirection=ingress&RuleAction=accept&SourceCidrBlock=0.0.0.0/0&DestinationCidrBlock=0.0.0.0/0", 400, "MissingParameter")
	wantRaw(t, s, "Action=CreateTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterId="+fid+"&TrafficDirection=ingress&RuleNumber=x&RuleAction=accept&SourceCidrBlock=0.0.0.0/0&DestinationCidrBlock=0.0.0.0/0", 400, "InvalidParameterValue")
	// The quota: 10 rules per filter (aws profile), then the model's code.
	for i := 1; i <= 10; i++ {
		dir := types.TrafficDirectionIngress
		if i%2 == 0 {
			dir = types.TrafficDirectionEgress
		}
		newRule(t, c, ruleIn(fid, dir, int32(i), types.TrafficMirrorRuleActionAccept))
	}
	bad("TrafficMirrorFilterRuleLimitExceeded", func(in *ec2.CreateTrafficMirrorFilterRuleInput) { in.RuleNumber = aws.Int32(11) })
	if n := len(s.Spec().TrafficMirrorFilters[0].IngressFilterRules); n != 5 {
		t.Fatalf("%d ingress rules after the refused ones, want 5", n)
	}
	// Idempotency.
	in := ruleIn(newFilter(t, c, "y"), types.TrafficDirectionIngress, 1, types.TrafficMirrorRuleActionAccept)
	in.ClientToken = aws.String("r1")
	if a, b := newRule(t, c, in), newRule(t, c, in); a != b {
		t.Fatalf("same token: %s then %s", a, b)
	}
	in.RuleNumber = aws.Int32(2)
	_, err := c.CreateTrafficMirrorFilterRule(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
	// Modify and delete refusals.
	rid := aws.ToString(must(c.DescribeTrafficMirrorFilterRules(ctx, &ec2.DescribeTrafficMirrorFilterRulesInput{MaxResults: aws.Int32(5)}))(t).TrafficMirrorFilterRules[0].TrafficMirrorFilterRuleId)
	wantRaw(t, s, "Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId="+rid+"&RemoveField.1=rule-number", 400, "InvalidParameterValue")
	_, err = c.ModifyTrafficMirrorFilterRule(ctx, &ec2.ModifyTrafficMirrorFilterRuleInput{TrafficMirrorFilterRuleId: aws.String(rid), RuleAction: "accept", DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DeleteTrafficMirrorFilterRule(ctx, &ec2.DeleteTrafficMirrorFilterRuleInput{TrafficMirrorFilterRuleId: aws.String(rid), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	wantRaw(t, s, "Action=DeleteTrafficMirrorFilterRule&Version=2016-11-15", 400, "MissingParameter")
	wantRaw(t, s, "Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15", 400, "MissingParameter")
	_, err = c.DescribeTrafficMirrorFilterRules(ctx, &ec2.DescribeTrafficMirrorFilterRulesInput{TrafficMirrorFilterId: aws.String("tmf-0000000000000dead")})
	wantCode(t, err, "InvalidTrafficMirrorFilterId.NotFound")
}

func TestDescribeFilterRules(t *testing.T) {
	_, c := testServer(t, Config{})
	a, b := newFilter(t, c, "a"), newFilter(t, c, "b")
	for i := int32(1); i <= 6; i++ {
		in := ruleIn(a, types.TrafficDirectionIngress, i, types.TrafficMirrorRuleActionAccept)
		if i > 3 {
			in.TrafficDirection = types.TrafficDirectionEgress
			in.RuleAction = types.TrafficMirrorRuleActionReject
		}
		in.Protocol = aws.Int32(17)
		in.Description = aws.String(fmt.Sprintf("rule %d", i))
		newRule(t, c, in)
	}
	in := ruleIn(b, types.TrafficDirectionIngress, 1, types.TrafficMirrorRuleActionAccept)
	in.SourceCidrBlock = aws.String("10.0.0.0/28")
	newRule(t, c, in)
	f := func(name string, vals ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: vals}}
	}
	for _, tc := range []struct {
		in   ec2.DescribeTrafficMirrorFilterRulesInput
		want int
	}{
		{ec2.DescribeTrafficMirrorFilterRulesInput{}, 7},
		{ec2.DescribeTrafficMirrorFilterRulesInput{TrafficMirrorFilterId: aws.String(a)}, 6},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("traffic-mirror-filter-id", b)}, 1},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("traffic-direction", "egress")}, 3},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("rule-action", "reject")}, 3},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("rule-number", "1")}, 2},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("protocol", "17")}, 6},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("source-cidr-block", "10.0.0.0/28")}, 1},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("destination-cidr-block", "0.0.0.0/0")}, 7},
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("description", "rule [12]")}, 0}, // no regexps
		{ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("description", "rule ?")}, 6},
	} {
		out := must(c.DescribeTrafficMirrorFilterRules(ctx, &tc.in))(t)
		if len(out.TrafficMirrorFilterRules) != tc.want {
			t.Errorf("%+v: %d rules, want %d", tc.in, len(out.TrafficMirrorFilterRules), tc.want)
		}
	}
	// The SDK has no paginator for this action: follow NextToken.
	seen, pages := map[string]bool{}, 0
	for tok := (*string)(nil); pages == 0 || tok != nil; {
		out := must(c.DescribeTrafficMirrorFilterRules(ctx, &ec2.DescribeTrafficMirrorFilterRulesInput{MaxResults: aws.Int32(5), NextToken: tok}))(t)
		for _, r := range out.TrafficMirrorFilterRules {
			seen[aws.ToString(r.TrafficMirrorFilterRuleId)] = true
		}
		tok = out.NextToken
		pages++
	}
	if pages != 2 || len(seen) != 7 {
		t.Fatalf("%d pages, %d rules; want 2 and 7", pages, len(seen))
	}
	_, err := c.DescribeTrafficMirrorFilterRules(ctx, &ec2.DescribeTrafficMirrorFilterRulesInput{Filters: f("source-port-range", "1")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeTrafficMirrorFilterRules(ctx, &ec2.DescribeTrafficMirrorFilterRulesInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
}
