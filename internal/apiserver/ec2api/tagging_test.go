package ec2api

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestTags(t *testing.T) {
	s, c := testServer(t, Config{Names: fixtureNames})
	must(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eniWeb, vpcID}, Tags: tags("team", "net", "Name", "prod-eni")}))(t)
	if got := s.Tags(eniWeb); got["team"] != "net" || got["Name"] != "prod-eni" {
		t.Fatalf("Tags(web-eni) = %v", got)
	}
	// the new Name finds the ENI
	if ids := eniIDs(must(c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: filter("tag:Name", "prod-eni")}))(t)); len(ids) != 1 || ids[0] != eniWeb {
		t.Fatalf("tag:Name=prod-eni: %v", ids)
	}
	descr := func(fs ...types.Filter) []string {
		var out []string
		for _, x := range must(c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: fs}))(t).Tags {
			out = append(out, fmt.Sprintf("%s/%s/%s=%s", aws.ToString(x.ResourceId), x.ResourceType, aws.ToString(x.Key), aws.ToString(x.Value)))
		}
		return out
	}
	sameIDs(t, "key=team", descr(filter("key", "team")[0]), []string{eniWeb + "/network-interface/team=net", vpcID + "/vpc/team=net"})
	sameIDs(t, "resource-id", descr(filter("resource-id", eniWeb)[0]), []string{eniWeb + "/network-interface/team=net", eniWeb + "/network-interface/Name=prod-eni"})
	sameIDs(t, "resource-type", descr(filter("resource-type", "instance")[0]), []string{"i-0000000000000000a/instance/Name=web"})
	sameIDs(t, "value", descr(filter("value", "adapter*")[0]), []string{subAdapter + "/subnet/Name=adapter", sgAdapter + "/security-group/Name=adapter-sg", aclAdapter + "/network-acl/Name=adapter-acl", eniAdapter + "/network-interface/Name=adapter-eni"})
	p := ec2.NewDescribeTagsPaginator(c, &ec2.DescribeTagsInput{MaxResults: aws.Int32(5)})
	n, pages := 0, 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).Tags)
		pages++
	}
	if n != 14 || pages != 3 {
		t.Fatalf("%d tags in %d pages, want 14 in 3", n, pages)
	}

	// DeleteTags: a value that does not match keeps the tag; no value deletes
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{eniWeb}, Tags: tags("team", "other")}))(t)
	if s.Tags(eniWeb)["team"] != "net" {
		t.Fatal("a tag with another value was deleted")
	}
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{eniWeb}, Tags: []types.Tag{{Key: aws.String("team")}}}))(t)
	if _, ok := s.Tags(eniWeb)["team"]; ok {
		t.Fatal("team survived DeleteTags without a value")
	}
	must(c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{vpcID}}))(t)
	if got := s.Tags(vpcID); got != nil {
		t.Fatalf("DeleteTags without tags left %v", got)
	}

	_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"eni-0000000000000099f"}, Tags: tags("a", "b")})
	wantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"tms-0000000000000099f"}, Tags: tags("a", "b")})
	wantCode(t, err, "InvalidTrafficMirrorSessionId.NotFound")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"web-eni"}, Tags: tags("a", "b")})
	wantCode(t, err, "InvalidID")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eniWeb}, Tags: tags("aws:x", "b")})
	wantCode(t, err, "InvalidParameterValue")
	wantRaw(t, s, "Action=CreateTags&Version=2016-11-15&ResourceId.1="+eniWeb, 400, "MissingParameter")
	wantRaw(t, s, "Action=CreateTags&Version=2016-11-15&Tag.1.Key=a", 400, "MissingParameter")
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eniWeb}, Tags: tags("a", "b"), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	var many []string
	for i := range 50 {
		many = append(many, fmt.Sprint("k", i), "v")
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eniWeb}, Tags: tags(many...)})
	wantCode(t, err, "TagLimitExceeded")
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{"subnet-0000000000000099f"}})
	wantCode(t, err, "InvalidSubnetID.NotFound")
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{eniWeb}, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeTags(ctx, &ec2.DescribeTagsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: filter("owner", "x")})
	wantCode(t, err, "InvalidParameterValue")
	if got := s.Tags(eniWeb); len(got) != 1 || got["Name"] != "prod-eni" {
		t.Fatalf("refused requests changed the tags: %v", got)
	}
}
