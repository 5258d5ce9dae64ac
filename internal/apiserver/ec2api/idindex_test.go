package ec2api

import (
	"maps"
	"regexp"
	"strings"
	"testing"
)

// The server's id index, kept up to date from each change's differences,
// stays the index of the published state through creates, deletes and
// refused changes of many kinds; and ids drawn for new resources are new.
func TestIDIndexFollowsChanges(t *testing.T) {
	spec, names := NewAccount("us-east-1")
	vpc, subnet, acl := spec.Vpcs[0].VpcId, spec.Subnets[0].SubnetId, spec.NetworkAcls[0].NetworkAclId
	s, err := New(Config{Spec: spec, Names: names, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	verifyChanges(t, s)
	s.wmu.Lock()
	s.idIndex()
	s.wmu.Unlock()
	bodies := []string{
		"Action=CreateVpc&CidrBlock=10.0.0.0/16",
		"Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=172.31.200.0/24&AvailabilityZoneId=use1-az4",
		"Action=CreateSecurityGroup&GroupName=a&GroupDescription=b&VpcId=" + vpc,
		"Action=CreateNetworkAcl&VpcId=" + vpc,
		"Action=ReplaceNetworkAclAssociation&AssociationId=" + aclAssocID(acl, subnet) + "&NetworkAclId=" + acl,
		"Action=CreateTags&ResourceId.1=" + mainRouteTableID(vpc) + "&Tag.1.Key=k&Tag.1.Value=v",
		"Action=CreateTags&ResourceId.1=vpc-00000000000000000&Tag.1.Key=k",
		"Action=CreateNetworkInterface&SubnetId=" + subnet,
		"Action=CreateTrafficMirrorFilter&Description=f",
		"Action=CreateTrafficMirrorFilter&Description=g",
		"Action=DeleteSubnet&SubnetId=" + subnet,
		"Action=DeleteVpc&VpcId=" + vpc,
	}
	filterID := regexp.MustCompile(`<trafficMirrorFilterId>(tmf-[0-9a-f]+)<`)
	var filters []string
	for i := 0; i < len(bodies); i++ {
		rec := serveForm(s, bodies[i]+"&Version=2016-11-15")
		if m := filterID.FindStringSubmatch(rec.Body.String()); m != nil && strings.Contains(bodies[i], "CreateTrafficMirrorFilter&") {
			filters = append(filters, m[1])
			bodies = append(bodies,
				"Action=CreateTrafficMirrorFilterRule&TrafficMirrorFilterId="+m[1]+"&TrafficDirection=ingress&RuleNumber=1&RuleAction=accept&SourceCidrBlock=0.0.0.0/0&DestinationCidrBlock=0.0.0.0/0",
				"Action=DeleteTrafficMirrorFilter&TrafficMirrorFilterId="+m[1])
		}
		s.wmu.Lock()
		got, want := s.ids, newIDIndex(&s.cur.Load().spec)
		s.wmu.Unlock()
		if !maps.Equal(got, want) {
			t.Fatalf("after %s (%d): the index is\n%v\nthe published state's is\n%v", bodies[i], rec.Code, got, want)
		}
	}
	if len(filters) != 2 || filters[0] == filters[1] {
		t.Fatalf("filters created: %v", filters)
	}
}
