package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// An instance's root volume, as the provider reads root_block_device:
// the instance's block device mapping, then DescribeVolumes by id.
func TestRootVolumes(t *testing.T) {
	_, c, _ := accountServer(t, Config{})
	ami := amazonLinux2(t, c) // minimal: 2 GiB "standard" root volume
	in := runOne(t, c, &ec2.RunInstancesInput{ImageId: aws.String(ami), InstanceType: types.InstanceTypeM5Large,
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: []types.Tag{{Key: aws.String("disk"), Value: aws.String("root")}}}}})
	id := aws.ToString(in.InstanceId)
	bd := describeOne(t, c, id).BlockDeviceMappings
	if len(bd) != 1 || aws.ToString(bd[0].DeviceName) != "/dev/xvda" || bd[0].Ebs == nil || !aws.ToBool(bd[0].Ebs.DeleteOnTermination) {
		t.Fatalf("block devices: %+v", bd)
	}
	vol := aws.ToString(bd[0].Ebs.VolumeId)
	attr := must(c.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{InstanceId: aws.String(id), Attribute: "blockDeviceMapping"}))(t)
	if len(attr.BlockDeviceMappings) != 1 || aws.ToString(attr.BlockDeviceMappings[0].Ebs.VolumeId) != vol {
		t.Fatalf("blockDeviceMapping attribute: %+v", attr.BlockDeviceMappings)
	}
	vs := must(c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{vol}}))(t).Volumes
	if len(vs) != 1 || aws.ToInt32(vs[0].Size) != 2 || vs[0].VolumeType != types.VolumeTypeStandard || vs[0].State != types.VolumeStateInUse ||
		len(vs[0].Attachments) != 1 || aws.ToString(vs[0].Attachments[0].InstanceId) != id || len(vs[0].Tags) != 1 {
		t.Fatalf("volume: %+v", vs)
	}
	byInst := must(c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []types.Filter{fl("attachment.instance-id", id)}}))(t).Volumes
	if len(byInst) != 1 || aws.ToString(byInst[0].VolumeId) != vol {
		t.Fatalf("by instance: %+v", byInst)
	}
	must(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}))(t)
	_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{vol}})
	wantCode(t, err, "InvalidVolume.NotFound")
	if bd := describeOne(t, c, id).BlockDeviceMappings; len(bd) != 0 {
		t.Fatalf("a terminated instance keeps its volume: %+v", bd)
	}
}

// The README launches the Amazon Linux 2023 x86_64 image by its id: ids
// are stable, derived from the image's owner and name.
func TestReadmeImageID(t *testing.T) {
	if im := findImage("ami-ee9fb00aca98f72e1"); im == nil || im.name != "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64" {
		t.Fatalf("README.md launches ami-ee9fb00aca98f72e1 as Amazon Linux 2023 x86_64; the catalogue has %+v", im)
	}
}
