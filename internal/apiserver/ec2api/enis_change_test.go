package ec2api

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// An interface created, described, attached at device index 1 (eth1,
// after the primary in the Spec), modified, detached and deleted.
func TestNetworkInterfaceLifecycle(t *testing.T) {
	s, c, clock := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[0].SubnetId
	other := s.Spec().Subnets[1].SubnetId
	inst := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, SubnetId: aws.String(sub)}).InstanceId)
	clock.step(transitionTime)
	created := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(sub), Description: aws.String("collector"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeNetworkInterface, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}},
		ClientToken:       aws.String("eni-token")}))(t).NetworkInterface
	id := aws.ToString(created.NetworkInterfaceId)
	if aws.ToString(created.Description) != "collector" || aws.ToString(created.PrivateIpAddress) != "172.31.0.5" ||
		created.Status != types.NetworkInterfaceStatusAvailable || len(created.Groups) != 1 || len(created.TagSet) != 1 {
		t.Fatalf("created %+v", created)
	}
	again := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(sub), Description: aws.String("collector"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeNetworkInterface, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}},
		ClientToken:       aws.String("eni-token")}))(t).NetworkInterface
	if aws.ToString(again.NetworkInterfaceId) != id {
		t.Fatal("a repeated ClientToken created another interface")
	}
	byDesc := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{fl("description", "collector")}}))(t).NetworkInterfaces
	if len(byDesc) != 1 {
		t.Fatalf("filter description: %+v", byDesc)
	}
	_, err := c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: aws.String(id), InstanceId: aws.String(inst), DeviceIndex: aws.Int32(0)})
	wantCode(t, err, "InvalidParameterValue") // the primary's index
	att := aws.ToString(must(c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: aws.String(id), InstanceId: aws.String(inst), DeviceIndex: aws.Int32(1)}))(t).AttachmentId)
	spec := s.Spec()
	var order []string
	for _, e := range spec.NetworkInterfaces {
		if e.InstanceId == inst {
			order = append(order, e.NetworkInterfaceId)
		}
	}
	if len(order) != 2 || order[1] != id {
		t.Fatalf("the instance's interfaces in Spec order: %v", order)
	}
	attached := must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{
		fl("attachment.instance-id", inst), fl("attachment.device-index", "1"), fl("attachment.attachment-id", att), fl("attachment.status", "attached")}}))(t).NetworkInterfaces
	if len(attached) != 1 || attached[0].Status != types.NetworkInterfaceStatusInUse || aws.ToBool(attached[0].Attachment.DeleteOnTermination) {
		t.Fatalf("attached: %+v", attached)
	}
	_, err = c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(id)})
	wantCode(t, err, codeENIInUse)
	must(c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String(id), SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t)
	must(c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String(id), Description: &types.AttributeValue{Value: aws.String("renamed")}}))(t)
	must(c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{NetworkInterfaceId: aws.String(id),
		Attachment: &types.NetworkInterfaceAttachmentChanges{AttachmentId: aws.String(att), DeleteOnTermination: aws.Bool(true)}}))(t)
	e := s.Spec().NetworkInterfaces[findENI(&spec, id)]
	if e.Description != "renamed" || e.SourceDestCheck == nil || *e.SourceDestCheck || !e.Attachment.DeleteOnTermination {
		t.Fatalf("modified: %+v", e)
	}
	inst2 := describeOne(t, c, inst)
	if len(inst2.NetworkInterfaces) != 2 || aws.ToBool(inst2.NetworkInterfaces[1].SourceDestCheck) {
		t.Fatalf("instance's interfaces: %+v", inst2.NetworkInterfaces)
	}
	primaryAtt := aws.ToString(inst2.NetworkInterfaces[0].Attachment.AttachmentId)
	_, err = c.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: aws.String(primaryAtt)})
	wantCode(t, err, codeOperationNotPermitted)
	must(c.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: aws.String(att)}))(t)
	_, err = c.DetachNetworkInterface(ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: aws.String(att)})
	wantCode(t, err, "InvalidAttachmentID.NotFound")
	// a zone apart
	far := aws.ToString(must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(other)}))(t).NetworkInterface.NetworkInterfaceId)
	_, err = c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: aws.String(far), InstanceId: aws.String(inst), DeviceIndex: aws.Int32(1)})
	wantCode(t, err, codes.InvalidParameterCombination)
	must(c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(id)}))(t)
	_, err = c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(id)})
	wantCode(t, err, codeENINotFound)
	_, err = c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(far), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
}

// An interface kept at termination (attached after launch) is detached,
// not deleted; the type's interface limit holds (t2.micro: 2).
func TestInterfacesAndTermination(t *testing.T) {
	s, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[0].SubnetId
	inst := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro, SubnetId: aws.String(sub)}).InstanceId)
	var ids []string
	for range 2 {
		ids = append(ids, aws.ToString(must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(sub)}))(t).NetworkInterface.NetworkInterfaceId))
	}
	must(c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: aws.String(ids[0]), InstanceId: aws.String(inst), DeviceIndex: aws.Int32(1)}))(t)
	_, err := c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: aws.String(ids[1]), InstanceId: aws.String(inst), DeviceIndex: aws.Int32(2)})
	wantCode(t, err, codes.AttachmentLimit)
	if got := s.Spec().NetworkInterfaces[findENI(ptr(s.Spec()), ids[0])].InstanceType; got != "t2.micro" {
		t.Fatalf("attached interface's type %q", got)
	}
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{inst}}))(t)
	spec := s.Spec()
	i := findENI(&spec, ids[0])
	if i < 0 || spec.NetworkInterfaces[i].InstanceId != "" || spec.NetworkInterfaces[i].Attachment != nil {
		t.Fatalf("kept interface after termination: %+v", spec.NetworkInterfaces)
	}
	for _, e := range spec.NetworkInterfaces {
		if e.InstanceId == inst {
			t.Fatalf("interface %s still attached to the terminated instance", e.NetworkInterfaceId)
		}
	}
}

// A mirror session's source cannot be deleted (DependencyViolation); a
// t2.micro's primary interface is refused as a source with the model's
// code, an m5.large's accepted: what the provider's acceptance tests do.
func TestLaunchedInstancesAsMirrorSources(t *testing.T) {
	s, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[0].SubnetId
	primary := func(typ types.InstanceType) string {
		in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: typ, SubnetId: aws.String(sub)})
		return aws.ToString(in.NetworkInterfaces[0].NetworkInterfaceId)
	}
	small, big, collector := primary(types.InstanceTypeT2Micro), primary(types.InstanceTypeM5Large), primary(types.InstanceTypeT2Micro)
	f := newFilter(t, c, "all")
	tgt := newTarget(t, c, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(collector)})
	_, err := c.CreateTrafficMirrorSession(ctx, sessionIn(small, f, tgt, 1))
	wantCode(t, err, codes.SourceInstanceType)
	must(c.CreateTrafficMirrorSession(ctx, sessionIn(big, f, tgt, 1)))(t)
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{s.Spec().Instances[1].InstanceId}})
	wantCode(t, err, codeDependencyViolation) // its primary interface is the session's source
	free := aws.ToString(must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(sub)}))(t).NetworkInterface.NetworkInterfaceId)
	must(c.CreateTrafficMirrorSession(ctx, sessionIn(free, f, tgt, 2)))(t)
	_, err = c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(free)})
	wantCode(t, err, codeDependencyViolation)
}

func ptr[T any](v T) *T { return &v }

// IPv6: the subnet's next free IPv6 address (Ipv6AddressCount 1) or the
// one given, as the primary IPv6 address; at most one per interface.
func TestCreateNetworkInterfaceIPv6(t *testing.T) {
	spec := fixtureSpec()
	spec.Vpcs[0].Ipv6CidrBlock = "2001:db8:0:100::/56"
	spec.Subnets[0].Ipv6CidrBlock = "2001:db8:0:100::/64"
	_, c := testServer(t, Config{Spec: spec})
	counted := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subPublic), Ipv6AddressCount: aws.Int32(1),
		EnablePrimaryIpv6: aws.Bool(true)}))(t).NetworkInterface
	if len(counted.Ipv6Addresses) != 1 || aws.ToString(counted.Ipv6Addresses[0].Ipv6Address) != "2001:db8:0:100::4" || !aws.ToBool(counted.Ipv6Addresses[0].IsPrimaryIpv6) {
		t.Fatalf("counted: %+v", counted.Ipv6Addresses)
	}
	given := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subPublic),
		Ipv6Addresses: []types.InstanceIpv6Address{{Ipv6Address: aws.String("2001:db8:0:100::99")}}}))(t).NetworkInterface
	if len(given.Ipv6Addresses) != 1 || aws.ToString(given.Ipv6Addresses[0].Ipv6Address) != "2001:db8:0:100::99" {
		t.Fatalf("given: %+v", given.Ipv6Addresses)
	}
	_, err := c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subPublic), Ipv6AddressCount: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subTest), Ipv6AddressCount: aws.Int32(1)})
	wantCode(t, err, "InvalidParameterValue") // no IPv6 block
	_, err = c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subPublic),
		PrivateIpAddresses: []types.PrivateIpAddressSpecification{{PrivateIpAddress: aws.String("10.0.0.9"), Primary: aws.Bool(true)}, {PrivateIpAddress: aws.String("10.0.0.10")}}})
	wantCode(t, err, "InvalidParameterValue") // one address per interface
	one := must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subPublic),
		PrivateIpAddresses: []types.PrivateIpAddressSpecification{{PrivateIpAddress: aws.String("10.0.0.9"), Primary: aws.Bool(true)}}}))(t).NetworkInterface
	if aws.ToString(one.PrivateIpAddress) != "10.0.0.9" {
		t.Fatalf("private_ips: %s", aws.ToString(one.PrivateIpAddress))
	}
}

// RunInstances' NetworkInterface.N: an existing interface as the primary
// one (kept at termination), or new ones at device indexes 0 and 1.
func TestRunInstancesWithInterfaces(t *testing.T) {
	s, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[0].SubnetId
	eni := aws.ToString(must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(sub)}))(t).NetworkInterface.NetworkInterfaceId)
	spec0 := []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), NetworkInterfaceId: aws.String(eni)}}
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(2), NetworkInterfaces: spec0})
	wantCode(t, err, codes.InvalidParameterCombination)
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, NetworkInterfaces: spec0})
	if aws.ToString(in.NetworkInterfaces[0].NetworkInterfaceId) != eni || aws.ToBool(in.NetworkInterfaces[0].Attachment.DeleteOnTermination) {
		t.Fatalf("primary: %+v", in.NetworkInterfaces)
	}
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(in.InstanceId)}}))(t)
	if i := findENI(ptr(s.Spec()), eni); i < 0 || s.Spec().NetworkInterfaces[i].InstanceId != "" {
		t.Fatal("the interface given at launch went with the instance")
	}
	two := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{
		{DeviceIndex: aws.Int32(1), SubnetId: aws.String(sub), Description: aws.String("second")},
		{DeviceIndex: aws.Int32(0), SubnetId: aws.String(sub), Description: aws.String("first"), PrivateIpAddress: aws.String("172.31.1.1")}}})
	got := two.NetworkInterfaces
	if len(got) != 2 || aws.ToString(got[0].Description) != "first" || aws.ToString(got[0].PrivateIpAddress) != "172.31.1.1" ||
		aws.ToInt32(got[1].Attachment.DeviceIndex) != 1 || aws.ToString(got[1].Description) != "second" || aws.ToString(two.PrivateIpAddress) != "172.31.1.1" {
		t.Fatalf("interfaces: %+v", got)
	}
	_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(1), SubnetId: aws.String(sub)}}})
	wantCode(t, err, codes.InvalidParameterCombination) // no device index 0
}

// Every instance and interface action answers DryRunOperation to a dry
// run that would succeed and changes nothing.
func TestInstanceActionsDryRun(t *testing.T) {
	applied := 0
	s, c, clock := accountServer(t, Config{Apply: func(cloudmock.Spec) error { applied++; return nil }})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[0].SubnetId
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, SubnetId: aws.String(sub)})
	id, primary := aws.ToString(in.InstanceId), aws.ToString(in.NetworkInterfaces[0].NetworkInterfaceId)
	free := aws.ToString(must(c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(sub)}))(t).NetworkInterface.NetworkInterfaceId)
	clock.step(transitionTime)
	before, spec := applied, s.Spec()
	dry := aws.Bool(true)
	for name, call := range map[string]func() error{
		"RunInstances": func() error {
			_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{DryRun: dry, ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
			return err
		},
		"StopInstances": func() error {
			_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{DryRun: dry, InstanceIds: []string{id}})
			return err
		},
		"TerminateInstances": func() error {
			_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{DryRun: dry, InstanceIds: []string{id}})
			return err
		},
		"ModifyInstanceAttribute": func() error {
			_, err := c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{DryRun: dry, InstanceId: aws.String(id), DisableApiStop: &types.AttributeBooleanValue{Value: aws.Bool(true)}})
			return err
		},
		"DescribeInstanceAttribute": func() error {
			_, err := c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{DryRun: dry, InstanceId: aws.String(id), Attribute: "userData"})
			return err
		},
		"GetConsoleOutput": func() error {
			_, err := c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{DryRun: dry, InstanceId: aws.String(id)})
			return err
		},
		"CreateNetworkInterface": func() error {
			_, err := c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{DryRun: dry, SubnetId: aws.String(sub)})
			return err
		},
		"AttachNetworkInterface": func() error {
			_, err := c.AttachNetworkInterface(ctx, &ec2.AttachNetworkInterfaceInput{DryRun: dry, NetworkInterfaceId: aws.String(free), InstanceId: aws.String(id), DeviceIndex: aws.Int32(1)})
			return err
		},
		"ModifyNetworkInterfaceAttribute": func() error {
			_, err := c.ModifyNetworkInterfaceAttribute(ctx, &ec2.ModifyNetworkInterfaceAttributeInput{DryRun: dry, NetworkInterfaceId: aws.String(primary), Description: &types.AttributeValue{Value: aws.String("x")}})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, call(), "DryRunOperation") })
	}
	_, err := c.StartInstances(ctx, &ec2.StartInstancesInput{DryRun: dry, InstanceIds: []string{id}})
	wantCode(t, err, "DryRunOperation") // a running instance: nothing to do, still a dry run
	if applied != before || len(s.Spec().Instances) != len(spec.Instances) || len(s.Spec().NetworkInterfaces) != len(spec.NetworkInterfaces) ||
		s.Spec().Instances[0].State != cloudmock.InstanceRunning {
		t.Fatalf("dry runs changed the state (%d applies)", applied-before)
	}
}
