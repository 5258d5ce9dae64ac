package ec2api

import (
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// testClock is a clock that tests step.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (k *testClock) now() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.t
}

func (k *testClock) step(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.t = k.t.Add(d)
}

// accountConfig is cfg over a new account's state: the one place where
// the instance tests turn NewAccount's answer into a Config.
func accountConfig(cfg Config) Config {
	cfg.Spec, cfg.Names = NewAccount("us-east-1")
	return cfg
}

// accountServer serves a new account (default VPC) on a test clock.
func accountServer(t *testing.T, cfg Config) (*Server, *ec2.Client, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg = accountConfig(cfg)
	cfg.Now = clock.now
	s, c := testServer(t, cfg)
	return s, c, clock
}

// amazonLinux2 finds the image the provider's tests use, by name.
func amazonLinux2(t *testing.T, c *ec2.Client) string {
	t.Helper()
	imgs := must(c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []types.Filter{fl("name", "amzn2-ami-minimal-hvm-*"), fl("architecture", "x86_64")}}))(t).Images
	if len(imgs) != 1 {
		t.Fatalf("images: %+v", imgs)
	}
	return aws.ToString(imgs[0].ImageId)
}

func runOne(t *testing.T, c *ec2.Client, in *ec2.RunInstancesInput) types.Instance {
	t.Helper()
	if in.MinCount == nil {
		in.MinCount, in.MaxCount = aws.Int32(1), aws.Int32(1)
	}
	out := must(c.RunInstances(ctx, in))(t)
	if len(out.Instances) != 1 {
		t.Fatalf("launched %d instances", len(out.Instances))
	}
	return out.Instances[0]
}

func describeOne(t *testing.T, c *ec2.Client, id string) types.Instance {
	t.Helper()
	r := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}}))(t).Reservations
	if len(r) != 1 || len(r[0].Instances) != 1 {
		t.Fatalf("describe %s: %+v", id, r)
	}
	return r[0].Instances[0]
}

// An instance launched into the default subnet, pending then running,
// with its primary interface in the model and the fields the provider
// reads; stopped, started and terminated on the clock.
func TestRunInstancesLifecycle(t *testing.T) {
	s, c, clock := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	script := "#!/bin/sh\necho hello\n"
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large,
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(script))), KeyName: aws.String("k"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}}}})
	id := aws.ToString(in.InstanceId)
	if in.State.Name != types.InstanceStateNamePending || aws.ToInt32(in.State.Code) != 0 || !strings.HasPrefix(id, "i-") || len(id) != 19 {
		t.Fatalf("launched %+v", in)
	}
	spec := s.Spec()
	if len(spec.Instances) != 1 || spec.Instances[0].UserData != script || spec.Instances[0].State != cloudmock.InstanceRunning || spec.Instances[0].ImageId != ami {
		t.Fatalf("model: %+v", spec.Instances)
	}
	eni := spec.NetworkInterfaces[len(spec.NetworkInterfaces)-1]
	if eni.InstanceId != id || eni.InstanceType != "m5.large" || eni.PrivateIpAddress != "172.31.0.4" || eni.Attachment == nil ||
		eni.Attachment.DeviceIndex != 0 || !eni.Attachment.DeleteOnTermination || len(eni.Groups) != 1 || eni.SubnetId != spec.Subnets[0].SubnetId {
		t.Fatalf("primary interface: %+v", eni)
	}
	clock.step(transitionTime)
	got := describeOne(t, c, id)
	if got.State.Name != types.InstanceStateNameRunning || aws.ToString(got.ImageId) != ami || aws.ToString(got.KeyName) != "k" ||
		aws.ToString(got.Placement.AvailabilityZone) != "us-east-1a" || aws.ToString(got.PrivateIpAddress) != "172.31.0.4" ||
		aws.ToString(got.PrivateDnsName) != "ip-172-31-0-4.ec2.internal" || got.LaunchTime == nil || aws.ToString(got.RootDeviceName) != "/dev/xvda" ||
		len(got.NetworkInterfaces) != 1 || aws.ToInt32(got.NetworkInterfaces[0].Attachment.DeviceIndex) != 0 ||
		aws.ToString(got.NetworkInterfaces[0].Attachment.AttachmentId) != eni.Attachment.AttachmentId ||
		len(got.SecurityGroups) != 1 || aws.ToString(got.SecurityGroups[0].GroupName) != "default" || got.MetadataOptions.HttpTokens != "optional" ||
		aws.ToInt32(got.CpuOptions.CoreCount) != 1 || len(got.Tags) != 1 {
		t.Fatalf("described: %+v", got)
	}
	change := must(c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}))(t).StoppingInstances[0]
	if change.CurrentState.Name != types.InstanceStateNameStopping || change.PreviousState.Name != types.InstanceStateNameRunning {
		t.Fatalf("stop: %+v", change)
	}
	if s.Spec().Instances[0].State != cloudmock.InstanceStopped {
		t.Fatal("the model's instance is not stopped")
	}
	wantState(t, c, id, types.InstanceStateNameStopping)
	clock.step(transitionTime)
	wantState(t, c, id, types.InstanceStateNameStopped)
	must(c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}))(t)
	wantState(t, c, id, types.InstanceStateNamePending)
	clock.step(transitionTime)
	wantState(t, c, id, types.InstanceStateNameRunning)
	term := must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))(t).TerminatingInstances[0]
	if term.CurrentState.Name != types.InstanceStateNameShuttingDown {
		t.Fatalf("terminate: %+v", term)
	}
	spec = s.Spec()
	if len(spec.Instances) != 0 || findENI(&spec, eni.NetworkInterfaceId) >= 0 {
		t.Fatalf("terminated instance still in the model: %+v", spec.Instances)
	}
	wantState(t, c, id, types.InstanceStateNameShuttingDown)
	clock.step(transitionTime)
	gone := describeOne(t, c, id)
	if gone.State.Name != types.InstanceStateNameTerminated || len(gone.NetworkInterfaces) != 0 || len(gone.Tags) != 1 ||
		gone.InstanceType != types.InstanceTypeM5Large || aws.ToString(gone.ImageId) != ami {
		t.Fatalf("terminated: %+v", gone)
	}
	// terminating again answers terminated; after an hour it is forgotten
	again := must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))(t).TerminatingInstances[0]
	if again.CurrentState.Name != types.InstanceStateNameTerminated {
		t.Fatalf("terminate twice: %+v", again)
	}
	clock.step(terminatedRetention + time.Second)
	_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound") // forgotten, with no change in between
	small := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro})
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(small.InstanceId)}}))(t)
	if got := describeOne(t, c, aws.ToString(small.InstanceId)).InstanceType; got != types.InstanceTypeT2Micro {
		t.Fatalf("terminated t2.micro described as %s", got)
	}
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
}

func wantState(t *testing.T, c *ec2.Client, id string, want types.InstanceStateName) {
	t.Helper()
	if got := describeOne(t, c, id).State.Name; got != want {
		t.Fatalf("state %s, want %s", got, want)
	}
	byFilter := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl("instance-state-name", string(want))}}))(t)
	if len(byFilter.Reservations) != 1 {
		t.Fatalf("filter instance-state-name=%s: %+v", want, byFilter.Reservations)
	}
}

// The refusals of RunInstances, with EC2's codes.
func TestRunInstancesErrors(t *testing.T) {
	s, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[1].SubnetId
	run := func(in ec2.RunInstancesInput) error {
		if in.ImageId == nil {
			in.ImageId = aws.String(ami)
		}
		if in.InstanceType == "" {
			in.InstanceType = types.InstanceTypeT3Micro
		}
		if in.MinCount == nil {
			in.MinCount, in.MaxCount = aws.Int32(1), aws.Int32(1)
		}
		_, err := c.RunInstances(ctx, &in)
		return err
	}
	for _, tc := range []struct {
		name string
		in   ec2.RunInstancesInput
		code string
	}{
		{"unknown image", ec2.RunInstancesInput{ImageId: aws.String("ami-00000000000000000")}, "InvalidAMIID.NotFound"},
		{"malformed image", ec2.RunInstancesInput{ImageId: aws.String("image")}, "InvalidAMIID.Malformed"},
		{"unknown type", ec2.RunInstancesInput{InstanceType: "z9.huge"}, "InvalidParameterValue"},
		{"arm type, x86 image", ec2.RunInstancesInput{InstanceType: types.InstanceTypeT4gMicro}, "InvalidParameterValue"},
		{"unknown subnet", ec2.RunInstancesInput{SubnetId: aws.String("subnet-00000000000000000")}, "InvalidSubnetID.NotFound"},
		{"unknown group", ec2.RunInstancesInput{SubnetId: aws.String(sub), SecurityGroupIds: []string{"sg-00000000000000000"}}, "InvalidGroup.NotFound"},
		{"group by unknown name", ec2.RunInstancesInput{SecurityGroups: []string{"nope"}}, "InvalidGroup.NotFound"},
		{"address outside", ec2.RunInstancesInput{SubnetId: aws.String(sub), PrivateIpAddress: aws.String("10.9.9.9")}, "InvalidParameterValue"},
		{"min over max", ec2.RunInstancesInput{MinCount: aws.Int32(3), MaxCount: aws.Int32(2)}, "InvalidParameterValue"},
		{"bad user data", ec2.RunInstancesInput{UserData: aws.String("%%%")}, "InvalidParameterValue"},
		{"credits on m5", ec2.RunInstancesInput{InstanceType: types.InstanceTypeM5Large,
			CreditSpecification: &types.CreditSpecificationRequest{CpuCredits: aws.String("unlimited")}}, "InvalidParameterCombination"},
		{"wrong zone", ec2.RunInstancesInput{SubnetId: aws.String(sub), Placement: &types.Placement{AvailabilityZone: aws.String("us-east-1a")}}, "InvalidParameterValue"},
		{"subnet and interfaces", ec2.RunInstancesInput{SubnetId: aws.String(sub), NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{
			{DeviceIndex: aws.Int32(0), SubnetId: aws.String(sub)}}}, "InvalidParameterCombination"},
		{"too many interfaces", ec2.RunInstancesInput{InstanceType: types.InstanceTypeT2Micro, NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{
			{DeviceIndex: aws.Int32(0), SubnetId: aws.String(sub)}, {DeviceIndex: aws.Int32(1), SubnetId: aws.String(sub)},
			{DeviceIndex: aws.Int32(2), SubnetId: aws.String(sub)}}}, "AttachmentLimitExceeded"},
		{"dry run", ec2.RunInstancesInput{DryRun: aws.Bool(true)}, "DryRunOperation"},
		{"address for two", ec2.RunInstancesInput{SubnetId: aws.String(sub), PrivateIpAddress: aws.String("172.31.16.9"), MinCount: aws.Int32(1), MaxCount: aws.Int32(2)}, "InvalidParameterCombination"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, run(tc.in), tc.code) })
	}
	if n := len(s.Spec().Instances); n != 0 {
		t.Fatalf("%d instances left by refused launches", n)
	}
	// the arm image on an arm type is fine; the burstable type gets its credits
	arm := must(c.DescribeImages(ctx, &ec2.DescribeImagesInput{Filters: []types.Filter{fl("name", "al2023-ami-2023*-arm64")}}))(t).Images
	if err := run(ec2.RunInstancesInput{ImageId: arm[0].ImageId, InstanceType: types.InstanceTypeT4gMicro}); err != nil {
		t.Fatal(err)
	}
	if got := s.Spec().Instances[0].CpuCredits; got != "unlimited" {
		t.Fatalf("t4g credits %q", got)
	}
}

// MinCount/MaxCount, the next free addresses, a fixed address,
// ClientToken idempotency and a launch's reservation.
func TestRunInstancesCountAndToken(t *testing.T) {
	s, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	sub := s.Spec().Subnets[2].SubnetId // 172.31.32.0/20
	in := &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro, SubnetId: aws.String(sub),
		MinCount: aws.Int32(2), MaxCount: aws.Int32(3), ClientToken: aws.String("tok")}
	out := must(c.RunInstances(ctx, in))(t)
	if len(out.Instances) != 3 {
		t.Fatalf("launched %d, want 3", len(out.Instances))
	}
	for i, want := range []string{"172.31.32.4", "172.31.32.5", "172.31.32.6"} {
		if got := aws.ToString(out.Instances[i].PrivateIpAddress); got != want || aws.ToInt32(out.Instances[i].AmiLaunchIndex) != int32(i) {
			t.Fatalf("instance %d: %s (index %d), want %s", i, got, aws.ToInt32(out.Instances[i].AmiLaunchIndex), want)
		}
	}
	again := must(c.RunInstances(ctx, in))(t)
	if aws.ToString(again.ReservationId) != aws.ToString(out.ReservationId) || len(s.Spec().Instances) != 3 {
		t.Fatalf("a repeated token launched again: %s vs %s", aws.ToString(again.ReservationId), aws.ToString(out.ReservationId))
	}
	in.MaxCount = aws.Int32(4)
	_, err := c.RunInstances(ctx, in)
	wantCode(t, err, "IdempotentParameterMismatch")
	res := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl("reservation-id", aws.ToString(out.ReservationId))}}))(t).Reservations
	if len(res) != 1 || len(res[0].Instances) != 3 {
		t.Fatalf("one reservation of 3 instances: %+v", res)
	}
	fixed := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro, SubnetId: aws.String(sub), PrivateIpAddress: aws.String("172.31.40.9")})
	if aws.ToString(fixed.PrivateIpAddress) != "172.31.40.9" {
		t.Fatalf("fixed address: %s", aws.ToString(fixed.PrivateIpAddress))
	}
	_, err = c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro, SubnetId: aws.String(sub),
		PrivateIpAddress: aws.String("172.31.40.9"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	wantCode(t, err, codes.IPAddressInUse)
	// paging through the instances
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	n := 0
	for p.HasMorePages() {
		for _, r := range must(p.NextPage(ctx))(t).Reservations {
			n += len(r.Instances)
		}
	}
	if n != 4 {
		t.Fatalf("paged through %d instances, want 4", n)
	}
}

// DescribeInstances' filters on what it shows beyond the model.
func TestDescribeInstancesFilters(t *testing.T) {
	_, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, ClientToken: aws.String("ct-1"), KeyName: aws.String("key")})
	runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro})
	id := aws.ToString(in.InstanceId)
	vol := aws.ToString(describeOne(t, c, id).BlockDeviceMappings[0].Ebs.VolumeId)
	for _, f := range [][2]string{{"client-token", "ct-1"}, {"key-name", "key"}, {"instance-type", "m5.large"}, {"image-id", ami},
		{"block-device-mapping.volume-id", vol}, {"root-device-name", "/dev/xvda"}, {"architecture", "x86_64"}, {"tenancy", "default"},
		{"network-interface.attachment.instance-id", id}, {"network-interface.attachment.delete-on-termination", "true"}} {
		got := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl(f[0], f[1]), fl("instance-id", id)}}))(t).Reservations
		if len(got) != 1 {
			t.Fatalf("filter %s=%s found %d", f[0], f[1], len(got))
		}
	}
	if got := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl("client-token", "ct-1")}}))(t).Reservations; len(got) != 1 {
		t.Fatalf("client-token selects %d reservations, want 1", len(got))
	}
	if got := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl("architecture", "arm64")}}))(t).Reservations; len(got) != 0 {
		t.Fatalf("architecture arm64 selects %d", len(got))
	}
}
