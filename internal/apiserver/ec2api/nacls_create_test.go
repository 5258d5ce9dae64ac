package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The provider's aws_network_acl flow: create, move a subnet to it
// (ReplaceNetworkAclAssociation of the subnet's current association),
// refuse its deletion while associated, move it back, delete it.
func TestNetworkAclLifecycle(t *testing.T) {
	_, c, applied := newAccountServer(t)
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	sn := aws.ToString(createSubnet(t, c, vpc, "10.1.1.0/24", "us-east-1a").SubnetId)
	acl := *must(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(vpc),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeNetworkAcl, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("app")}}}}}))(t).NetworkAcl
	id := aws.ToString(acl.NetworkAclId)
	if len(id) != len("acl-")+17 || aws.ToBool(acl.IsDefault) || len(acl.Entries) != 2 || len(acl.Tags) != 1 {
		t.Fatalf("CreateNetworkAcl answered %+v", acl)
	}
	current := func() types.NetworkAcl {
		return must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{fl("association.subnet-id", sn)}}))(t).NetworkAcls[0]
	}
	assocOf := func(a types.NetworkAcl) *string {
		for _, x := range a.Associations {
			if aws.ToString(x.SubnetId) == sn {
				return x.NetworkAclAssociationId
			}
		}
		t.Fatalf("no association of %s in %+v", sn, a)
		return nil
	}
	def := current()
	newAssoc := must(c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: assocOf(def), NetworkAclId: aws.String(id)}))(t).NewAssociationId
	if now := current(); aws.ToString(now.NetworkAclId) != id || aws.ToString(assocOf(now)) != aws.ToString(newAssoc) {
		t.Fatalf("after the replace the subnet is in %+v", now)
	}
	if i := findACL(applied, id); i < 0 || len(applied.NetworkAcls[i].Associations) != 1 {
		t.Fatal("the association is not in the model")
	}
	_, err := c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)})
	wantCode(t, err, "DependencyViolation")
	_, err = c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: def.NetworkAclId})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: assocOf(def), NetworkAclId: aws.String(id)})
	wantCode(t, err, "InvalidAssociationID.NotFound")
	must(c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: newAssoc, NetworkAclId: def.NetworkAclId}))(t)
	must(c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)}))(t)
	_, err = c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)})
	wantCode(t, err, "InvalidNetworkAclID.NotFound")
}

func TestNetworkAclErrors(t *testing.T) {
	_, c, _ := newAccountServer(t)
	other := aws.ToString(createVpc(t, c, "10.2.0.0/16").VpcId)
	otherACL := must(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(other)}))(t).NetworkAcl.NetworkAclId
	_, err := c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String("vpc-00000000000000000")})
	wantCode(t, err, "InvalidVpcID.NotFound")
	_, err = c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(other), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	// a default subnet cannot move to another VPC's ACL
	def := must(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{fl("default", "true"), fl("association.subnet-id", "*")}}))(t).NetworkAcls[0]
	_, err = c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: def.Associations[0].NetworkAclAssociationId, NetworkAclId: otherACL})
	wantCode(t, err, "InvalidParameterValue")
	// idempotent with a ClientToken
	a := must(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(other), ClientToken: aws.String("tok")}))(t).NetworkAcl.NetworkAclId
	b := must(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(other), ClientToken: aws.String("tok")}))(t).NetworkAcl.NetworkAclId
	if aws.ToString(a) != aws.ToString(b) {
		t.Fatalf("a repeated ClientToken created %s and %s", aws.ToString(a), aws.ToString(b))
	}
}

// EC2 ignores a port range given with a protocol that has no ports; the
// provider's aws_network_acl sends 0-0 with protocol -1.
func TestNetworkAclEntryIgnoresPortsOfAllProtocols(t *testing.T) {
	_, c, applied := newAccountServer(t)
	vpc := aws.ToString(createVpc(t, c, "10.1.0.0/16").VpcId)
	acl := aws.ToString(must(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(vpc)}))(t).NetworkAcl.NetworkAclId)
	must(c.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(acl), RuleNumber: aws.Int32(100), Egress: aws.Bool(true),
		Protocol: aws.String("-1"), RuleAction: types.RuleActionAllow, CidrBlock: aws.String("0.0.0.0/0"),
		PortRange: &types.PortRange{From: aws.Int32(0), To: aws.Int32(0)}}))(t)
	if e := applied.NetworkAcls[findACL(applied, acl)].Entries[0]; e.PortRange != nil {
		t.Fatalf("the port range of protocol -1 was kept: %+v", e)
	}
}
