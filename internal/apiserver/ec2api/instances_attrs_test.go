package ec2api

import (
	"encoding/base64"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The protections, attributes and credit specifications the provider
// reads after a launch.
func TestInstanceAttributes(t *testing.T) {
	s, c, clock := accountServer(t, Config{ConsoleOutput: func(id string) ([]byte, error) { return []byte("out of " + id), nil }})
	ami := amazonLinux2(t, c)
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro,
		DisableApiTermination: aws.Bool(true), DisableApiStop: aws.Bool(true), UserData: aws.String(base64.StdEncoding.EncodeToString([]byte("hi")))})
	id := aws.ToString(in.InstanceId)
	attr := func(a types.InstanceAttributeName) *ec2.DescribeInstanceAttributeOutput {
		return must(c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: a}))(t)
	}
	if !aws.ToBool(attr("disableApiTermination").DisableApiTermination.Value) || !aws.ToBool(attr("disableApiStop").DisableApiStop.Value) ||
		aws.ToString(attr("userData").UserData.Value) != base64.StdEncoding.EncodeToString([]byte("hi")) ||
		aws.ToString(attr("instanceType").InstanceType.Value) != "t2.micro" ||
		aws.ToString(attr("instanceInitiatedShutdownBehavior").InstanceInitiatedShutdownBehavior.Value) != "stop" {
		t.Fatal("attributes do not say what the launch asked")
	}
	_, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, codes.IncorrectInstanceState) // still pending
	clock.step(transitionTime)
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, codeOperationNotPermitted)
	_, err = c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	wantCode(t, err, codeOperationNotPermitted)
	must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), DisableApiStop: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t)
	_, err = c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), InstanceType: &types.AttributeValue{Value: aws.String("m5.large")}})
	wantCode(t, err, codes.IncorrectInstanceState)
	must(c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}))(t)
	clock.step(transitionTime)
	must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), InstanceType: &types.AttributeValue{Value: aws.String("m5.large")}}))(t)
	if m := s.Spec().Instances[0]; m.InstanceType != "m5.large" || m.CpuCredits != "" || s.Spec().NetworkInterfaces[len(s.Spec().NetworkInterfaces)-1].InstanceType != "m5.large" {
		t.Fatalf("retyped: %+v", m)
	}
	// without user data, <userData/> has no value, as EC2 answers (an
	// empty value is taken by the AWS provider for user data: a diff)
	bare := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro})
	if ud := must(c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: bare.InstanceId, Attribute: "userData"}))(t).UserData; ud == nil || ud.Value != nil {
		t.Fatalf("userData of an instance launched without: %+v", ud)
	}
	_, err = c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String("i-00000000000000000"), Attribute: "userData"})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	out := must(c.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(id)}))(t)
	if b, _ := base64.StdEncoding.DecodeString(aws.ToString(out.Output)); string(b) != "out of "+id {
		t.Fatalf("console output %q", b)
	}
}

// A small subnet launches what fits, at least MinCount.
func TestRunInstancesFullSubnet(t *testing.T) {
	spec := fixtureSpec() // 10.0.0.32/28 holds 11 addresses, one taken
	spec.SecurityGroups = append(spec.SecurityGroups, cloudmock.SecurityGroup{GroupId: "sg-0000000000000000d", VpcId: vpcID})
	s, c := testServer(t, Config{Spec: spec, Names: map[string]string{"sg-0000000000000000d": "default"}})
	ami := amazonLinux2(t, c)
	in := &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro, SubnetId: aws.String(subTest),
		MinCount: aws.Int32(11), MaxCount: aws.Int32(20)}
	_, err := c.RunInstances(ctx, in)
	wantCode(t, err, codeInsufficientAddresses)
	in.MinCount = aws.Int32(5)
	out := must(c.RunInstances(ctx, in))(t)
	if len(out.Instances) != 10 || len(s.Spec().Instances) != 10 {
		t.Fatalf("launched %d, want the 10 that fit", len(out.Instances))
	}
	if g := s.Spec().NetworkInterfaces[len(s.Spec().NetworkInterfaces)-1].Groups; len(g) != 1 || g[0] != "sg-0000000000000000d" {
		t.Fatalf("groups %v, want the VPC's default group", g)
	}
}

func TestCreditSpecificationsAndStatus(t *testing.T) {
	_, c, clock := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	t2 := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT2Micro}).InstanceId)
	t3 := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT3Micro,
		CreditSpecification: &types.CreditSpecificationRequest{CpuCredits: aws.String("standard")}}).InstanceId)
	m5 := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large}).InstanceId)
	specs := must(c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{t2, t3}}))(t).InstanceCreditSpecifications
	got := map[string]string{}
	for _, x := range specs {
		got[aws.ToString(x.InstanceId)] = aws.ToString(x.CpuCredits)
	}
	if got[t2] != "standard" || got[t3] != "standard" || len(got) != 2 {
		t.Fatalf("credit specifications %v", got)
	}
	_, err := c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{m5}})
	wantCode(t, err, codeUnsupported)
	mod := must(c.ModifyInstanceCreditSpecification(ctx, &ec2.ModifyInstanceCreditSpecificationInput{InstanceCreditSpecifications: []types.InstanceCreditSpecificationRequest{
		{InstanceId: aws.String(t2), CpuCredits: aws.String("unlimited")}, {InstanceId: aws.String(m5), CpuCredits: aws.String("unlimited")}}}))(t)
	if len(mod.SuccessfulInstanceCreditSpecifications) != 1 || len(mod.UnsuccessfulInstanceCreditSpecifications) != 1 ||
		aws.ToString(mod.UnsuccessfulInstanceCreditSpecifications[0].InstanceId) != m5 || mod.UnsuccessfulInstanceCreditSpecifications[0].Error == nil {
		t.Fatalf("modify credits: %+v", mod)
	}
	if cs := must(c.DescribeInstanceCreditSpecifications(ctx, &ec2.DescribeInstanceCreditSpecificationsInput{InstanceIds: []string{t2}}))(t).InstanceCreditSpecifications; aws.ToString(cs[0].CpuCredits) != "unlimited" {
		t.Fatalf("t2 credits after modify: %+v", cs)
	}
	st := must(c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{}))(t).InstanceStatuses
	if len(st) != 0 {
		t.Fatalf("pending instances listed without IncludeAllInstances: %+v", st)
	}
	clock.step(2 * transitionTime)
	st = must(c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: []string{m5}}))(t).InstanceStatuses
	if len(st) != 1 || st[0].InstanceState.Name != types.InstanceStateNameRunning || st[0].InstanceStatus.Status != types.SummaryStatusOk {
		t.Fatalf("status %+v", st)
	}
}

// Instances and the interfaces a launch makes are taggable and listed by
// DescribeTags; TagSpecifications tag both.
func TestInstanceTags(t *testing.T) {
	_, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large,
		TagSpecifications: []types.TagSpecification{
			{ResourceType: types.ResourceTypeNetworkInterface, Tags: []types.Tag{{Key: aws.String("role"), Value: aws.String("eth0")}}},
			{ResourceType: types.ResourceTypeVolume, Tags: []types.Tag{{Key: aws.String("v"), Value: aws.String("x")}}}}})
	id, eni := aws.ToString(in.InstanceId), aws.ToString(in.NetworkInterfaces[0].NetworkInterfaceId)
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web")}}}))(t)
	tags := must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{fl("resource-type", "instance")}}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].ResourceId) != id || aws.ToString(tags[0].Value) != "web" {
		t.Fatalf("instance tags: %+v", tags)
	}
	tags = must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{fl("resource-id", eni)}}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "role" || tags[0].ResourceType != types.ResourceTypeNetworkInterface {
		t.Fatalf("interface tags: %+v", tags)
	}
	_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}})
	wantCode(t, err, "InvalidParameterValue")
}

// ModifyInstanceAttribute on the primary interface: its groups and its
// source/destination check (the provider's source_dest_check = false).
func TestModifyInstanceNetworkAttributes(t *testing.T) {
	cfg := accountConfig(Config{})
	const sg = "sg-0000000000000000f"
	cfg.Spec.SecurityGroups = append(cfg.Spec.SecurityGroups, cloudmock.SecurityGroup{GroupId: sg, VpcId: cfg.Spec.Vpcs[0].VpcId})
	_, c := testServer(t, cfg)
	ami := amazonLinux2(t, c)
	id := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large}).InstanceId)
	must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), Groups: []string{sg}}))(t)
	must(c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))(t)
	got := describeOne(t, c, id)
	if len(got.SecurityGroups) != 1 || aws.ToString(got.SecurityGroups[0].GroupId) != sg || aws.ToBool(got.NetworkInterfaces[0].SourceDestCheck) {
		t.Fatalf("after modify: groups %+v, interface %+v", got.SecurityGroups, got.NetworkInterfaces[0])
	}
	check := must(c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: "sourceDestCheck"}))(t)
	if aws.ToBool(check.SourceDestCheck.Value) {
		t.Fatal("sourceDestCheck still true")
	}
	_, err := c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id), Groups: []string{"sg-00000000000000000"}})
	wantCode(t, err, "InvalidGroup.NotFound")
	_, err = c.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id),
		InstanceInitiatedShutdownBehavior: &types.AttributeValue{Value: aws.String("explode")}})
	wantCode(t, err, "InvalidParameterValue")
}

// DescribeInstanceStatus, DescribeInstanceCreditSpecifications and
// DescribeVolumes page as EC2 does.
func TestInstanceDescribesPage(t *testing.T) {
	_, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	must(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeT3Micro, MinCount: aws.Int32(7), MaxCount: aws.Int32(7)}))(t)
	n := 0
	ps := ec2.NewDescribeInstanceStatusPaginator(c, &ec2.DescribeInstanceStatusInput{IncludeAllInstances: aws.Bool(true), MaxResults: aws.Int32(5)})
	for pages := 0; ps.HasMorePages(); pages++ {
		n += len(must(ps.NextPage(ctx))(t).InstanceStatuses)
		if pages > 2 {
			t.Fatal("status pages do not end")
		}
	}
	pc := ec2.NewDescribeInstanceCreditSpecificationsPaginator(c, &ec2.DescribeInstanceCreditSpecificationsInput{MaxResults: aws.Int32(5)})
	for pc.HasMorePages() {
		n += len(must(pc.NextPage(ctx))(t).InstanceCreditSpecifications)
	}
	pv := ec2.NewDescribeVolumesPaginator(c, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5)})
	for pv.HasMorePages() {
		n += len(must(pv.NextPage(ctx))(t).Volumes)
	}
	if n != 21 {
		t.Fatalf("paged through %d items, want 7 statuses, 7 credit specifications and 7 volumes", n)
	}
	_, err := c.DescribeInstanceStatus(ctx, &ec2.DescribeInstanceStatusInput{MaxResults: aws.Int32(2)})
	wantCode(t, err, "InvalidParameterValue")
}

// Detailed monitoring and EBS optimisation are shown as asked (nothing
// here depends on them).
func TestMonitoringShown(t *testing.T) {
	_, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	id := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large,
		Monitoring: &types.RunInstancesMonitoringEnabled{Enabled: aws.Bool(true)}, EbsOptimized: aws.Bool(true)}).InstanceId)
	got := describeOne(t, c, id)
	if got.Monitoring.State != types.MonitoringStateEnabled || !aws.ToBool(got.EbsOptimized) {
		t.Fatalf("monitoring %s, EBS optimized %v", got.Monitoring.State, aws.ToBool(got.EbsOptimized))
	}
	off := must(c.UnmonitorInstances(ctx, &ec2.UnmonitorInstancesInput{InstanceIds: []string{id}}))(t).InstanceMonitorings
	if len(off) != 1 || off[0].Monitoring.State != types.MonitoringStateDisabling {
		t.Fatalf("unmonitor: %+v", off)
	}
	if st := describeOne(t, c, id).Monitoring.State; st != types.MonitoringStateDisabled {
		t.Fatalf("after unmonitor: %s", st)
	}
	must(c.MonitorInstances(ctx, &ec2.MonitorInstancesInput{InstanceIds: []string{id}}))(t)
	byFilter := must(c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{fl("monitoring-state", "enabled")}}))(t).Reservations
	if len(byFilter) != 1 {
		t.Fatalf("monitoring-state=enabled: %d", len(byFilter))
	}
	_, err := c.MonitorInstances(ctx, &ec2.MonitorInstancesInput{InstanceIds: []string{"i-00000000000000000"}})
	wantCode(t, err, "InvalidInstanceID.NotFound")
}

// Metadata options asked at launch and changed after, as shown.
func TestMetadataOptions(t *testing.T) {
	_, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c)
	id := aws.ToString(runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large,
		MetadataOptions: &types.InstanceMetadataOptionsRequest{HttpTokens: types.HttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(2)}}).InstanceId)
	got := describeOne(t, c, id).MetadataOptions
	if got.HttpTokens != types.HttpTokensStateRequired || aws.ToInt32(got.HttpPutResponseHopLimit) != 2 || got.HttpEndpoint != types.InstanceMetadataEndpointStateEnabled {
		t.Fatalf("at launch: %+v", got)
	}
	mod := must(c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(id), HttpTokens: types.HttpTokensStateOptional}))(t)
	if mod.InstanceMetadataOptions.State != types.InstanceMetadataOptionsStatePending {
		t.Fatalf("modify answer: %+v", mod.InstanceMetadataOptions)
	}
	got = describeOne(t, c, id).MetadataOptions
	if got.HttpTokens != types.HttpTokensStateOptional || aws.ToInt32(got.HttpPutResponseHopLimit) != 2 {
		t.Fatalf("after modify: %+v", got)
	}
	_, err := c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(id), HttpPutResponseHopLimit: aws.Int32(99)})
	wantCode(t, err, "InvalidParameterValue")
}
