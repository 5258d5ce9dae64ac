package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The calls terraform-provider-aws makes for an aws_instance of the
// traffic-mirror acceptance tests (ami found by name, instance_type,
// subnet_id), with the parameters its create sends, the reads its
// waiter and Read make, and its delete.
func TestProviderInstanceFlow(t *testing.T) {
	s, c, clock := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[0].SubnetId
	for _, typ := range []types.InstanceType{types.InstanceTypeT2Micro, types.InstanceTypeM5Large, types.InstanceTypeT3Micro} {
		in := &ec2.RunInstancesInput{
			ClientToken: aws.String("terraform-" + string(typ)), DisableApiTermination: aws.Bool(false), EbsOptimized: aws.Bool(false),
			HibernationOptions: &types.HibernationOptionsRequest{Configured: aws.Bool(false)}, ImageId: aws.String(ami), InstanceType: typ,
			MaxCount: aws.Int32(1), MinCount: aws.Int32(1), Monitoring: &types.RunInstancesMonitoringEnabled{Enabled: aws.Bool(false)},
			Placement: &types.Placement{AvailabilityZone: aws.String("")}, SubnetId: aws.String(sub),
		}
		if typ == types.InstanceTypeT3Micro { // the provider's default for T3
			in.CreditSpecification = &types.CreditSpecificationRequest{CpuCredits: aws.String("unlimited")}
		}
		id := aws.ToString(must(c.RunInstances(ctx, in))(t).Instances[0].InstanceId)
		clock.step(transitionTime) // the waiter's first look is 10 s later
		got := describeOne(t, c, id)
		if got.State.Name != types.InstanceStateNameRunning || got.InstanceType != typ {
			t.Fatalf("%s: %+v", typ, got)
		}
		primary := ""
		for _, ni := range got.NetworkInterfaces {
			if aws.ToInt32(ni.Attachment.DeviceIndex) == 0 {
				primary = aws.ToString(ni.NetworkInterfaceId)
			}
		}
		if primary == "" || got.Placement == nil || got.CpuOptions == nil || got.MetadataOptions == nil || got.EnclaveOptions == nil ||
			got.HibernationOptions == nil || got.Monitoring == nil || got.MaintenanceOptions == nil || got.PrivateDnsNameOptions == nil ||
			got.CapacityReservationSpecification == nil || aws.ToString(got.SubnetId) != sub || aws.ToString(got.VpcId) == "" {
			t.Fatalf("%s: a field the provider reads is missing: %+v", typ, got)
		}
		info := must(c.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{typ}}))(t).InstanceTypes[0]
		for _, a := range []types.InstanceAttributeName{"disableApiStop", "disableApiTermination", "userData", "instanceInitiatedShutdownBehavior"} {
			must(c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: a}))(t)
		}
		if aws.ToBool(info.BurstablePerformanceSupported) {
			cs := must(c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{id}}))(t).InstanceCreditSpecifications
			want := map[types.InstanceType]string{types.InstanceTypeT2Micro: "standard", types.InstanceTypeT3Micro: "unlimited"}[typ]
			if len(cs) != 1 || aws.ToString(cs[0].CpuCredits) != want {
				t.Fatalf("%s credits: %+v", typ, cs)
			}
		}
		// delete with force_destroy, then the waiter until terminated
		must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), DisableApiTermination: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t)
		must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), DisableApiStop: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t)
		must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))(t)
		clock.step(transitionTime)
		if st := describeOne(t, c, id).State.Name; st != types.InstanceStateNameTerminated {
			t.Fatalf("%s after the delete waiter's delay: %s", typ, st)
		}
	}
}
