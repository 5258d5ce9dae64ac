package ec2api

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Fixture names: the Name tags the server starts with.
var fixtureNames = map[string]string{
	vpcID: "vpc", subPublic: "public", subAdapter: "adapter", subTest: "test",
	sgWeb: "web-sg", sgAdapter: "adapter-sg", aclAdapter: "adapter-acl",
	eniWeb: "web-eni", eniClient: "client-eni", eniAdapter: "adapter-eni", eniTest: "test-eni",
	"i-0000000000000000a": "web",
}

// bigSpec is the fixture with six more subnets, and six more instances
// (one ENI each) in the test subnet, for pagination.
func bigSpec() cloudmock.Spec {
	s := fixtureSpec()
	for i := range 6 {
		s.Subnets = append(s.Subnets, cloudmock.Subnet{SubnetId: fmt.Sprintf("subnet-1000000000000000%x", i), VpcId: vpcID, CidrBlock: fmt.Sprintf("10.0.0.%d/28", 48+16*i)})
		s.NetworkInterfaces = append(s.NetworkInterfaces, cloudmock.NetworkInterface{
			NetworkInterfaceId: fmt.Sprintf("eni-1000000000000000%x", i), SubnetId: subTest,
			PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 40+i), InstanceId: fmt.Sprintf("i-1000000000000000%x", i),
		})
	}
	return s
}

func filter(name string, vals ...string) []types.Filter {
	return []types.Filter{{Name: aws.String(name), Values: vals}}
}

// sameIDs fails unless got holds exactly want (any order).
func sameIDs(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		tb.Errorf("%s: got %v, want %v", what, g, w)
	}
}

func vpcIDs(out *ec2.DescribeVpcsOutput) (ids []string) {
	for _, v := range out.Vpcs {
		ids = append(ids, aws.ToString(v.VpcId))
	}
	return ids
}

func TestDescribeVpcs(t *testing.T) {
	_, c := testServer(t, Config{Names: fixtureNames})
	out := must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}))(t)
	if len(out.Vpcs) != 1 {
		t.Fatalf("vpcs = %+v", out.Vpcs)
	}
	v := out.Vpcs[0]
	if aws.ToString(v.CidrBlock) != "10.0.0.0/24" || v.State != types.VpcStateAvailable || aws.ToString(v.OwnerId) != "123456789012" ||
		len(v.CidrBlockAssociationSet) != 1 || len(v.Tags) != 1 || aws.ToString(v.Tags[0].Value) != "vpc" || aws.ToBool(v.IsDefault) {
		t.Fatalf("vpc = %+v", v)
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{filter("vpc-id", vpcID), []string{vpcID}},
		{filter("cidr", "10.0.0.0/24"), []string{vpcID}},
		{filter("cidr-block-association.cidr-block", "10.0.*"), []string{vpcID}},
		{filter("tag:Name", "vpc"), []string{vpcID}},
		{filter("is-default", "true"), nil},
		{filter("state", "available"), []string{vpcID}},
		{filter("owner-id", "999"), nil},
	} {
		sameIDs(t, aws.ToString(tc.fs[0].Name), vpcIDs(must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: tc.fs}))(t)), tc.want)
	}
	sameIDs(t, "by id", vpcIDs(must(c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}}))(t)), []string{vpcID})
	_, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0000000000000099f"}})
	wantCode(t, err, "InvalidVpcID.NotFound")
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: filter("color", "red")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(4)})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeSubnets(t *testing.T) {
	_, c := testServer(t, Config{Spec: bigSpec(), Names: fixtureNames})
	ids := func(out *ec2.DescribeSubnetsOutput) (ids []string) {
		for _, x := range out.Subnets {
			ids = append(ids, aws.ToString(x.SubnetId))
		}
		return ids
	}
	out := must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subPublic}}))(t)
	if len(out.Subnets) != 1 {
		t.Fatalf("subnets = %+v", out.Subnets)
	}
	sn := out.Subnets[0]
	// a /28 has 16 addresses, AWS keeps 5, web and client take 2
	if aws.ToString(sn.VpcId) != vpcID || aws.ToString(sn.CidrBlock) != "10.0.0.0/28" || aws.ToInt32(sn.AvailableIpAddressCount) != 9 ||
		aws.ToString(sn.AvailabilityZone) != "us-east-1a" || aws.ToString(sn.AvailabilityZoneId) != "use1-az1" ||
		aws.ToString(sn.SubnetArn) != "arn:aws:ec2:us-east-1:123456789012:subnet/"+subPublic || sn.State != types.SubnetStateAvailable {
		t.Fatalf("subnet = %+v", sn)
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{filter("tag:Name", "adapter", "test"), []string{subAdapter, subTest}},
		{filter("cidr-block", "10.0.0.16/28"), []string{subAdapter}},
		{filter("subnet-id", subTest), []string{subTest}},
		{filter("available-ip-address-count", "9"), []string{subPublic}},
		{filter("availability-zone", "us-east-1b"), nil},
		{append(filter("vpc-id", vpcID), filter("tag-key", "Name")...), []string{subPublic, subAdapter, subTest}},
	} {
		sameIDs(t, fmt.Sprint(tc.fs[0].Values), ids(must(c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tc.fs}))(t)), tc.want)
	}
	p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5)})
	var all []string
	pages := 0
	for p.HasMorePages() {
		all = append(all, ids(must(p.NextPage(ctx))(t))...)
		pages++
	}
	if pages != 2 || len(all) != 9 {
		t.Fatalf("%d pages, %d subnets; want 2 and 9", pages, len(all))
	}
	_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0000000000000099f"}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidParameterValue")
}

func eniIDs(out *ec2.DescribeNetworkInterfacesOutput) (ids []string) {
	for _, x := range out.NetworkInterfaces {
		ids = append(ids, aws.ToString(x.NetworkInterfaceId))
	}
	return ids
}

func TestDescribeNetworkInterfaces(t *testing.T) {
	_, c := testServer(t, Config{Spec: bigSpec(), Names: fixtureNames})
	out := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: filter("tag:Name", "web-eni")}))(t)
	if len(out.NetworkInterfaces) != 1 {
		t.Fatalf("by Name tag: %+v", out.NetworkInterfaces)
	}
	e := out.NetworkInterfaces[0]
	if aws.ToString(e.NetworkInterfaceId) != eniWeb || aws.ToString(e.VpcId) != vpcID || aws.ToString(e.SubnetId) != subPublic ||
		aws.ToString(e.PrivateIpAddress) != "10.0.0.5" || aws.ToString(e.PrivateDnsName) != "ip-10-0-0-5.ec2.internal" ||
		e.Status != types.NetworkInterfaceStatusInUse || e.InterfaceType != types.NetworkInterfaceTypeInterface ||
		len(e.Groups) != 1 || aws.ToString(e.Groups[0].GroupId) != sgWeb || aws.ToString(e.Groups[0].GroupName) != "web-sg" ||
		e.Attachment == nil || aws.ToString(e.Attachment.InstanceId) != "i-0000000000000000a" || aws.ToInt32(e.Attachment.DeviceIndex) != 0 ||
		len(e.PrivateIpAddresses) != 1 || !aws.ToBool(e.PrivateIpAddresses[0].Primary) || len(aws.ToString(e.MacAddress)) != 17 {
		t.Fatalf("web-eni = %+v", e)
	}
	client := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eniClient}}))(t).NetworkInterfaces[0]
	if client.Status != types.NetworkInterfaceStatusAvailable || client.Attachment != nil || len(client.Groups) != 0 {
		t.Fatalf("client-eni (no instance, no group) = %+v", client)
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{filter("network-interface-id", eniAdapter, eniTest), []string{eniAdapter, eniTest}},
		// the adapter subnet also holds the load balancers' own interfaces (lb_enis.go)
		{append(filter("subnet-id", subAdapter), filter("interface-type", "interface")...), []string{eniAdapter, eniAgent2}},
		{filter("private-ip-address", "10.0.0.20"), []string{eniAdapter}},
		{append(filter("addresses.private-ip-address", "10.0.0.2?"), filter("requester-managed", "false")...), []string{eniAdapter, eniAgent2}},
		{filter("attachment.instance-id", "i-0000000000000000a"), []string{eniWeb}},
		{filter("group-id", sgAdapter), []string{eniAdapter, eniAgent2}},
		{filter("group-name", "web-sg"), []string{eniWeb}},
		{filter("status", "available"), []string{eniClient, eniAdapter, eniTest, eniAgent2}},
		{append(filter("vpc-id", vpcID), filter("tag:Name", "*-eni")...), []string{eniWeb, eniClient, eniAdapter, eniTest}},
	} {
		sameIDs(t, fmt.Sprint(aws.ToString(tc.fs[0].Name), tc.fs[0].Values), eniIDs(must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: tc.fs}))(t)), tc.want)
	}
	p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5)})
	seen, pages := map[string]bool{}, 0
	for p.HasMorePages() {
		for _, id := range eniIDs(must(p.NextPage(ctx))(t)) {
			seen[id] = true
		}
		pages++
	}
	if pages != 3 || len(seen) != 13 { // 11 and the two load balancers' own
		t.Fatalf("%d pages, %d interfaces; want 3 and 13", pages, len(seen))
	}
	_, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-0000000000000099f"}})
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
	_, err = c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{{Name: aws.String("subnet-id")}}})
	wantCode(t, err, "MissingParameter")
}

func TestDescribeInstances(t *testing.T) {
	spec := bigSpec()
	// a second interface on the web instance: device index 1
	spec.NetworkInterfaces = append(spec.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: "eni-2000000000000000a", SubnetId: subPublic, PrivateIpAddress: "10.0.0.7", InstanceId: "i-0000000000000000a"})
	_, c := testServer(t, Config{Spec: spec, Names: fixtureNames})
	ids := func(out *ec2.DescribeInstancesOutput) (ids []string) {
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
		return ids
	}
	out := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filter("tag:Name", "web")}))(t)
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 {
		t.Fatalf("by Name: %+v", out.Reservations)
	}
	in := out.Reservations[0].Instances[0]
	if aws.ToString(in.InstanceId) != "i-0000000000000000a" || in.State == nil || in.State.Name != types.InstanceStateNameRunning ||
		aws.ToString(in.PrivateIpAddress) != "10.0.0.5" || aws.ToString(in.SubnetId) != subPublic || aws.ToString(in.VpcId) != vpcID ||
		len(in.NetworkInterfaces) != 2 || aws.ToInt32(in.NetworkInterfaces[1].Attachment.DeviceIndex) != 1 ||
		len(in.SecurityGroups) != 1 || aws.ToString(in.SecurityGroups[0].GroupId) != sgWeb || aws.ToString(out.Reservations[0].ReservationId)[:2] != "r-" {
		t.Fatalf("web instance = %+v", in)
	}
	for _, tc := range []struct {
		fs   []types.Filter
		want []string
	}{
		{filter("instance-id", "i-10000000000000001"), []string{"i-10000000000000001"}},
		{filter("network-interface.network-interface-id", "eni-2000000000000000a"), []string{"i-0000000000000000a"}},
		{filter("private-ip-address", "10.0.0.7"), nil}, // not the primary address
		{filter("network-interface.addresses.private-ip-address", "10.0.0.7"), []string{"i-0000000000000000a"}},
		{filter("instance-state-name", "stopped"), nil},
		{filter("subnet-id", subPublic), []string{"i-0000000000000000a"}},
	} {
		sameIDs(t, aws.ToString(tc.fs[0].Name), ids(must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: tc.fs}))(t)), tc.want)
	}
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	var all []string
	for p.HasMorePages() {
		all = append(all, ids(must(p.NextPage(ctx))(t))...)
	}
	if len(all) != 7 {
		t.Fatalf("paged through %d instances, want 7: %v", len(all), all)
	}
	_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0000000000000099f"}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: filter("no-such-filter", "x")})
	wantCode(t, err, "InvalidParameterValue")
}
