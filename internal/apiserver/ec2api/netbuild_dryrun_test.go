package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// A dry run of each delete answers what the real one would (the
// dependency first), and deletes nothing.
func TestDeleteDryRuns(t *testing.T) {
	_, c, _ := newAccountServer(t)
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	sn := createSubnet(t, c, vpc, "10.1.1.0/24", "us-east-1a").SubnetId
	sg := must(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("a"), Description: aws.String("a"), VpcId: aws.String(vpc)}))(t).GroupId
	acl := must(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(vpc)}))(t).NetworkAcl.NetworkAclId
	rtb := must(c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc)}))(t).RouteTable.RouteTableId
	tgw := must(c.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{}))(t).TransitGateway.TransitGatewayId
	dry := aws.Bool(true)
	_, err := c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc), DryRun: dry})
	wantCode(t, err, "DependencyViolation")
	for name, del := range map[string]func() error{
		"subnet": func() error {
			_, err := c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn, DryRun: dry})
			return err
		},
		"group": func() error {
			_, err := c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg, DryRun: dry})
			return err
		},
		"acl": func() error {
			_, err := c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: acl, DryRun: dry})
			return err
		},
		"table": func() error {
			_, err := c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: rtb, DryRun: dry})
			return err
		},
		"tgw": func() error {
			_, err := c.DeleteTransitGateway(ctx, &ec2.DeleteTransitGatewayInput{TransitGatewayId: tgw, DryRun: dry})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, del(), "DryRunOperation") })
	}
	// all still there: the real deletes succeed, in order
	must(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sn}))(t)
	must(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sg}))(t)
	must(c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: acl}))(t)
	must(c.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: rtb}))(t)
	must(c.DeleteTransitGateway(ctx, &ec2.DeleteTransitGatewayInput{TransitGatewayId: tgw}))(t)
	_, err = c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc), DryRun: dry})
	wantCode(t, err, "DryRunOperation")
	must(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpc)}))(t)
}
