package ec2api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

func TestDescribeNetworkAcls(t *testing.T) {
	spec := fixtureSpec()
	for i := range 5 {
		spec.NetworkAcls = append(spec.NetworkAcls, cloudmock.NetworkAcl{NetworkAclId: fmt.Sprintf("acl-1000000000000000%x", i), VpcId: vpcID})
	}
	_, c := testServer(t, Config{Spec: spec, Names: fixtureNames})
	out := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclAdapter}}))(t)
	a := out.NetworkAcls[0]
	// two entries and the implicit deny-all of each direction
	if len(out.NetworkAcls) != 1 || aws.ToString(a.VpcId) != vpcID || len(a.Entries) != 4 || len(a.Associations) != 1 ||
		aws.ToString(a.Associations[0].SubnetId) != subAdapter || !strings.HasPrefix(aws.ToString(a.Associations[0].NetworkAclAssociationId), "aclassoc-") {
		t.Fatalf("adapter-acl = %+v", a)
	}
	in := a.Entries[0]
	if aws.ToInt32(in.RuleNumber) != 100 || aws.ToString(in.Protocol) != "17" || in.RuleAction != types.RuleActionAllow || aws.ToBool(in.Egress) ||
		aws.ToInt32(in.PortRange.From) != 4789 || aws.ToString(in.CidrBlock) != "10.0.0.0/28" {
		t.Fatalf("first entry = %+v", in)
	}
	if last := a.Entries[1]; aws.ToInt32(last.RuleNumber) != 32767 || last.RuleAction != types.RuleActionDeny || aws.ToBool(last.Egress) {
		t.Fatalf("implicit inbound deny = %+v", last)
	}
	ids := func(out *ec2.DescribeNetworkAclsOutput) (ids []string) {
		for _, a := range out.NetworkAcls {
			ids = append(ids, aws.ToString(a.NetworkAclId))
		}
		return ids
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{filter("association.subnet-id", subAdapter), []string{aclAdapter}},
		{filter("entry.port-range.from", "4789"), []string{aclAdapter}},
		{filter("entry.protocol", "17"), []string{aclAdapter}},
		{filter("entry.rule-action", "allow"), []string{aclAdapter}},
		{filter("tag:Name", "adapter-acl"), []string{aclAdapter}},
		{filter("default", "true"), nil},
	} {
		sameIDs(t, fmt.Sprint(aws.ToString(tc.fs[0].Name), tc.fs[0].Values), ids(must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: tc.fs}))(t)), tc.want)
	}
	p := ec2.NewDescribeNetworkAclsPaginator(c, &ec2.DescribeNetworkAclsInput{MaxResults: aws.Int32(5)})
	n, pages := 0, 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).NetworkAcls)
		pages++
	}
	if n != 6 || pages != 2 {
		t.Fatalf("%d ACLs in %d pages, want 6 in 2", n, pages)
	}
	_, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{"acl-0000000000000099f"}})
	wantCode(t, err, "InvalidNetworkAclID.NotFound")
	_, err = c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
}

func entry(num int32, egress bool, proto, action, cidr string, ports ...int32) *ec2.CreateNetworkAclEntryInput {
	in := &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(num), Egress: aws.Bool(egress),
		Protocol: aws.String(proto), RuleAction: types.RuleAction(action), CidrBlock: aws.String(cidr)}
	if len(ports) == 2 {
		in.PortRange = &types.PortRange{From: aws.Int32(ports[0]), To: aws.Int32(ports[1])}
	}
	return in
}

func TestNetworkAclEntries(t *testing.T) {
	s, c := testServer(t, Config{})
	entries := func() []cloudmock.NetworkAclEntry { return s.Spec().NetworkAcls[0].Entries }
	must(c.CreateNetworkAclEntry(ctx, entry(110, false, "6", "allow", "10.0.0.32/28", 1024, 65535)))(t)
	if e := entries(); len(e) != 3 || e[2].RuleNumber != 110 || e[2].PortRange.From != 1024 || e[2].Protocol != "6" {
		t.Fatalf("entries after create = %+v", e)
	}
	_, err := c.CreateNetworkAclEntry(ctx, entry(110, false, "17", "deny", "10.0.0.0/8"))
	wantCode(t, err, "NetworkAclEntryAlreadyExists")
	// the same number in the other direction is another entry
	must(c.CreateNetworkAclEntry(ctx, entry(110, true, "-1", "deny", "10.0.0.0/8")))(t)
	// the model's rules, naming the parameter
	_, err = c.CreateNetworkAclEntry(ctx, entry(120, false, "bogus", "allow", "10.0.0.0/8"))
	wantCode(t, err, "InvalidParameterValue")
	if !strings.Contains(err.Error(), "parameter Protocol") {
		t.Errorf("error does not name Protocol: %v", err)
	}
	// EC2 ignores a port range given with a protocol that has none
	must(c.CreateNetworkAclEntry(ctx, entry(120, false, "1", "allow", "10.0.0.0/8", 1, 2)))(t)
	must(c.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(120), Egress: aws.Bool(false)}))(t)
	_, err = c.CreateNetworkAclEntry(ctx, entry(40000, false, "6", "allow", "10.0.0.0/8"))
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateNetworkAclEntry(ctx, entry(120, false, "6", "maybe", "10.0.0.0/8"))
	wantCode(t, err, "InvalidParameterValue")
	in := entry(120, false, "1", "allow", "10.0.0.0/8")
	in.IcmpTypeCode = &types.IcmpTypeCode{Type: aws.Int32(8), Code: aws.Int32(0)}
	_, err = c.CreateNetworkAclEntry(ctx, in)
	wantCode(t, err, "UnsupportedOperation")
	in = entry(120, false, "6", "allow", "10.0.0.0/8")
	in.NetworkAclId = aws.String("acl-0000000000000099f")
	_, err = c.CreateNetworkAclEntry(ctx, in)
	wantCode(t, err, "InvalidNetworkAclID.NotFound")
	in = entry(120, false, "6", "allow", "10.0.0.0/8")
	in.DryRun = aws.Bool(true)
	_, err = c.CreateNetworkAclEntry(ctx, in)
	wantCode(t, err, "DryRunOperation")
	wantRaw(t, s, "Action=CreateNetworkAclEntry&Version=2016-11-15&NetworkAclId="+aclAdapter+"&RuleNumber=5&Protocol=6&RuleAction=allow&CidrBlock=10.0.0.0/8", 400, "MissingParameter")
	if n := len(entries()); n != 4 {
		t.Fatalf("refused creates changed the entries: %d", n)
	}

	// replace: inbound 100 now denies VXLAN
	must(c.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(100), Egress: aws.Bool(false),
		Protocol: aws.String("17"), RuleAction: types.RuleActionDeny, CidrBlock: aws.String("10.0.0.0/28"), PortRange: &types.PortRange{From: aws.Int32(4789), To: aws.Int32(4789)}}))(t)
	if e := entries()[0]; e.RuleNumber != 100 || e.RuleAction != "deny" {
		t.Fatalf("replaced entry = %+v", e)
	}
	_, err = c.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(300), Egress: aws.Bool(false),
		Protocol: aws.String("-1"), RuleAction: types.RuleActionDeny, CidrBlock: aws.String("0.0.0.0/0")})
	wantCode(t, err, "InvalidNetworkAclEntry.NotFound")
	_, err = c.ReplaceNetworkAclEntry(ctx, &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(100), Egress: aws.Bool(false),
		Protocol: aws.String("-1"), RuleAction: types.RuleActionDeny, CidrBlock: aws.String("0.0.0.0/0"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")

	// delete
	must(c.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(110), Egress: aws.Bool(true)}))(t)
	_, err = c.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(110), Egress: aws.Bool(true)})
	wantCode(t, err, "InvalidNetworkAclEntry.NotFound")
	_, err = c.DeleteNetworkAclEntry(ctx, &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String(aclAdapter), RuleNumber: aws.Int32(110), Egress: aws.Bool(false), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if e := entries(); len(e) != 3 {
		t.Fatalf("entries after delete = %+v", e)
	}
}
