package ec2api

import (
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The provider's aws_ec2_transit_gateway and _vpc_attachment flow: create
// (pending, then available), read the default route table's association
// and propagation, delete (IncorrectState while attached), gone.
func TestTransitGatewayLifecycle(t *testing.T) {
	_, c, applied := newAccountServer(t)
	tgw := *must(c.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{Description: aws.String("hub"),
		Options:           &types.TransitGatewayRequestOptions{DefaultRouteTableAssociation: types.DefaultRouteTableAssociationValueEnable, AmazonSideAsn: aws.Int64(64512)},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeTransitGateway, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("hub")}}}}}))(t).TransitGateway
	id := aws.ToString(tgw.TransitGatewayId)
	if len(id) != len("tgw-")+17 || tgw.State != types.TransitGatewayStatePending || aws.ToString(tgw.Options.AssociationDefaultRouteTableId) == "" || len(tgw.Tags) != 1 {
		t.Fatalf("CreateTransitGateway answered %+v", tgw)
	}
	got := must(c.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{TransitGatewayIds: []string{id}}))(t).TransitGateways
	if len(got) != 1 || got[0].State != types.TransitGatewayStateAvailable || aws.ToString(got[0].Description) != "hub" {
		t.Fatalf("DescribeTransitGateways: %+v", got)
	}
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	sa := aws.ToString(createSubnet(t, c, vpc, "10.1.1.0/24", "us-east-1a").SubnetId)
	sb := aws.ToString(createSubnet(t, c, vpc, "10.1.2.0/24", "us-east-1b").SubnetId)
	att := *must(c.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: aws.String(id), VpcId: aws.String(vpc),
		SubnetIds:         []string{sa, sb},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeTransitGatewayAttachment, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("a")}}}}}))(t).TransitGatewayVpcAttachment
	aid := aws.ToString(att.TransitGatewayAttachmentId)
	if len(aid) != len("tgw-attach-")+17 || att.State != types.TransitGatewayAttachmentStatePending || len(att.SubnetIds) != 2 || len(att.Tags) != 1 {
		t.Fatalf("CreateTransitGatewayVpcAttachment answered %+v", att)
	}
	if len(applied.TransitGatewayVpcAttachments) != 1 || len(applied.TransitGatewayVpcAttachments[0].SubnetIds) != 2 {
		t.Fatalf("the model's attachments: %+v", applied.TransitGatewayVpcAttachments)
	}
	list := must(c.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{Filters: []types.Filter{fl("vpc-id", vpc)}}))(t).TransitGatewayVpcAttachments
	if len(list) != 1 || list[0].State != types.TransitGatewayAttachmentStateAvailable || list[0].Options.DnsSupport != types.DnsSupportValueEnable {
		t.Fatalf("DescribeTransitGatewayVpcAttachments: %+v", list)
	}
	rtb := tgw.Options.AssociationDefaultRouteTableId
	assocs := must(c.GetTransitGatewayRouteTableAssociations(ctx, &ec2.GetTransitGatewayRouteTableAssociationsInput{TransitGatewayRouteTableId: rtb,
		Filters: []types.Filter{fl("transit-gateway-attachment-id", aid)}}))(t).Associations
	props := must(c.GetTransitGatewayRouteTablePropagations(ctx, &ec2.GetTransitGatewayRouteTablePropagationsInput{TransitGatewayRouteTableId: rtb}))(t).TransitGatewayRouteTablePropagations
	if len(assocs) != 1 || assocs[0].State != types.TransitGatewayAssociationStateAssociated || len(props) != 1 || props[0].State != types.TransitGatewayPropagationStateEnabled {
		t.Fatalf("default route table: associations %+v, propagations %+v", assocs, props)
	}
	_, err := c.DeleteTransitGateway(ctx, &ec2.DeleteTransitGatewayInput{TransitGatewayId: aws.String(id)})
	wantCode(t, err, "IncorrectState")
	_, err = c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(sa)})
	wantCode(t, err, "DependencyViolation")
	del := must(c.DeleteTransitGatewayVpcAttachment(ctx, &ec2.DeleteTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: aws.String(aid)}))(t)
	if del.TransitGatewayVpcAttachment.State != types.TransitGatewayAttachmentStateDeleting {
		t.Fatalf("DeleteTransitGatewayVpcAttachment answered %+v", del.TransitGatewayVpcAttachment)
	}
	// EC2 describes a deleted attachment as deleted for a while: the
	// provider's waiter polls for that state
	after := must(c.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{TransitGatewayAttachmentIds: []string{aid}}))(t).TransitGatewayVpcAttachments
	if len(after) != 1 || after[0].State != types.TransitGatewayAttachmentStateDeleted {
		t.Fatalf("the deleted attachment: %+v", after)
	}
	if n := len(must(c.DescribeTransitGatewayVpcAttachments(ctx, &ec2.DescribeTransitGatewayVpcAttachmentsInput{}))(t).TransitGatewayVpcAttachments); n != 0 {
		t.Fatalf("%d attachments listed after the delete", n)
	}
	_, err = c.DeleteTransitGatewayVpcAttachment(ctx, &ec2.DeleteTransitGatewayVpcAttachmentInput{TransitGatewayAttachmentId: aws.String(aid)})
	wantCode(t, err, "InvalidTransitGatewayAttachmentID.NotFound")
	gone := must(c.DeleteTransitGateway(ctx, &ec2.DeleteTransitGatewayInput{TransitGatewayId: aws.String(id)}))(t).TransitGateway
	if gone.State != types.TransitGatewayStateDeleting {
		t.Fatalf("DeleteTransitGateway answered %+v", gone)
	}
	_, err = c.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{TransitGatewayIds: []string{id}})
	wantCode(t, err, codes.TransitGatewayNotFound)
}

func TestTransitGatewayErrors(t *testing.T) {
	_, c, _ := newAccountServer(t)
	_, err := c.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{Options: &types.TransitGatewayRequestOptions{MulticastSupport: types.MulticastSupportValueEnable}})
	wantCode(t, err, "UnsupportedOperation")
	_, err = c.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	id := must(c.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{}))(t).TransitGateway.TransitGatewayId
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	sa := aws.ToString(createSubnet(t, c, vpc, "10.1.1.0/24", "us-east-1a").SubnetId)
	sa2 := aws.ToString(createSubnet(t, c, vpc, "10.1.2.0/24", "us-east-1a").SubnetId)
	other := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId) // overlaps vpc
	so := aws.ToString(createSubnet(t, c, other, "10.1.1.0/24", "us-east-1a").SubnetId)
	for _, tc := range []struct {
		in   ec2.CreateTransitGatewayVpcAttachmentInput
		code string
	}{
		{ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: aws.String("tgw-00000000000000000"), VpcId: aws.String(vpc), SubnetIds: []string{sa}}, codes.TransitGatewayNotFound},
		{ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: id, VpcId: aws.String(vpc), SubnetIds: []string{sa, sa2}}, codes.DuplicateSubnetsInZone},
		{ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: id, VpcId: aws.String(vpc), SubnetIds: []string{so}}, "InvalidParameterValue"},
		{ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: id, VpcId: aws.String(vpc), SubnetIds: []string{"subnet-00000000000000000"}}, "InvalidSubnetID.NotFound"},
	} {
		_, err := c.CreateTransitGatewayVpcAttachment(ctx, &tc.in)
		wantCode(t, err, tc.code)
	}
	must(c.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: id, VpcId: aws.String(vpc), SubnetIds: []string{sa}}))(t)
	_, err = c.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: id, VpcId: aws.String(vpc), SubnetIds: []string{sa2}})
	wantCode(t, err, codes.DuplicateAttachment)
	_, err = c.CreateTransitGatewayVpcAttachment(ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: id, VpcId: aws.String(other), SubnetIds: []string{so}})
	wantCode(t, err, "InvalidParameterValue") // overlapping blocks on one transit gateway
	_, err = c.GetTransitGatewayRouteTableAssociations(ctx, &ec2.GetTransitGatewayRouteTableAssociationsInput{TransitGatewayRouteTableId: aws.String("tgw-rtb-00000000000000000")})
	wantCode(t, err, "InvalidRouteTableID.NotFound")
}
