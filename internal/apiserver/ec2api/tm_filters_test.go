package ec2api

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func tagSpec(rt types.ResourceType, kv ...string) []types.TagSpecification {
	ts := types.TagSpecification{ResourceType: rt}
	for i := 0; i+1 < len(kv); i += 2 {
		ts.Tags = append(ts.Tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return []types.TagSpecification{ts}
}

func TestCreateDescribeDeleteFilter(t *testing.T) {
	s, c := testServer(t, Config{})
	out := must(c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{
		Description:       aws.String("web in"),
		TagSpecifications: tagSpec(types.ResourceTypeTrafficMirrorFilter, "Name", "web-in", "team", "net"),
	}))(t)
	f := out.TrafficMirrorFilter
	id := aws.ToString(f.TrafficMirrorFilterId)
	if len(id) != len("tmf-")+17 || id[:4] != "tmf-" {
		t.Fatalf("id %q is not tmf- + 17 hex digits", id)
	}
	if aws.ToString(f.Description) != "web in" || len(f.Tags) != 2 || aws.ToString(f.Tags[0].Key) != "Name" {
		t.Fatalf("created filter = %+v", f)
	}
	if got := s.Tags(id); got["team"] != "net" {
		t.Fatalf("Tags(%s) = %v", id, got)
	}
	if n := len(s.Spec().TrafficMirrorFilters); n != 1 {
		t.Fatalf("spec has %d filters, want 1", n)
	}
	d := must(c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{TrafficMirrorFilterIds: []string{id}}))(t)
	if len(d.TrafficMirrorFilters) != 1 || aws.ToString(d.TrafficMirrorFilters[0].Description) != "web in" {
		t.Fatalf("describe = %+v", d.TrafficMirrorFilters)
	}
	del := must(c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(id)}))(t)
	if aws.ToString(del.TrafficMirrorFilterId) != id {
		t.Fatalf("delete answered %q", aws.ToString(del.TrafficMirrorFilterId))
	}
	if s.Tags(id) != nil || len(s.Spec().TrafficMirrorFilters) != 0 {
		t.Fatal("deleted filter or its tags remain")
	}
	_, err := c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{TrafficMirrorFilterIds: []string{id}})
	wantCode(t, err, "InvalidTrafficMirrorFilterId.NotFound")
	_, err = c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(id)})
	wantCode(t, err, "InvalidTrafficMirrorFilterId.NotFound")
}

func TestFilterErrors(t *testing.T) {
	s, c := testServer(t, Config{})
	wantRaw(t, s, "Action=DeleteTrafficMirrorFilter&Version=2016-11-15", 400, "MissingParameter")
	_, err := c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{TagSpecifications: tagSpec(types.ResourceTypeVpc, "a", "b")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{TagSpecifications: tagSpec(types.ResourceTypeTrafficMirrorFilter, "aws:x", "b")})
	wantCode(t, err, "InvalidParameterValue")
	many := []string{}
	for i := 0; i < 51; i++ {
		many = append(many, fmt.Sprint("k", i), "v")
	}
	_, err = c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{TagSpecifications: tagSpec(types.ResourceTypeTrafficMirrorFilter, many...)})
	wantCode(t, err, "TagLimitExceeded")
	_, err = c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{Filters: []types.Filter{{Name: aws.String("nope"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{MaxResults: aws.Int32(4)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{MaxResults: aws.Int32(1001)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{NextToken: aws.String("garbage")})
	wantCode(t, err, "InvalidParameterValue")
}

func TestFilterDryRun(t *testing.T) {
	s, c := testServer(t, Config{})
	_, err := c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if n := len(s.Spec().TrafficMirrorFilters); n != 0 {
		t.Fatalf("dry run created %d filters", n)
	}
	_, err = c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	id := newFilter(t, c, "x")
	_, err = c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(id), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	_, err = c.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2.ModifyTrafficMirrorFilterNetworkServicesInput{TrafficMirrorFilterId: aws.String(id), DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")
	if n := len(s.Spec().TrafficMirrorFilters); n != 1 {
		t.Fatalf("dry run delete removed the filter (%d left)", n)
	}
}

func TestFilterIdempotency(t *testing.T) {
	s, c := testServer(t, Config{})
	in := &ec2.CreateTrafficMirrorFilterInput{Description: aws.String("a"), ClientToken: aws.String("tok-1")}
	a := must(c.CreateTrafficMirrorFilter(ctx, in))(t)
	b := must(c.CreateTrafficMirrorFilter(ctx, in))(t)
	if aws.ToString(a.TrafficMirrorFilter.TrafficMirrorFilterId) != aws.ToString(b.TrafficMirrorFilter.TrafficMirrorFilterId) {
		t.Fatal("same ClientToken and parameters created two filters")
	}
	if aws.ToString(b.ClientToken) != "tok-1" {
		t.Fatalf("clientToken = %q", aws.ToString(b.ClientToken))
	}
	if n := len(s.Spec().TrafficMirrorFilters); n != 1 {
		t.Fatalf("%d filters, want 1", n)
	}
	_, err := c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{Description: aws.String("b"), ClientToken: aws.String("tok-1")})
	wantCode(t, err, "IdempotentParameterMismatch")
	// The SDK fills a fresh token when none is given: two filters.
	must(c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{Description: aws.String("a")}))(t)
	must(c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{Description: aws.String("a")}))(t)
	if n := len(s.Spec().TrafficMirrorFilters); n != 3 {
		t.Fatalf("%d filters, want 3", n)
	}
}

func newFilter(tb testing.TB, c *ec2.Client, desc string, tags ...string) string {
	tb.Helper()
	in := &ec2.CreateTrafficMirrorFilterInput{Description: aws.String(desc)}
	if len(tags) > 0 {
		in.TagSpecifications = tagSpec(types.ResourceTypeTrafficMirrorFilter, tags...)
	}
	out := must(c.CreateTrafficMirrorFilter(ctx, in))(tb)
	return aws.ToString(out.TrafficMirrorFilter.TrafficMirrorFilterId)
}

func TestDescribeFiltersFiltersAndPages(t *testing.T) {
	_, c := testServer(t, Config{})
	var ids []string
	for i := 0; i < 12; i++ {
		team := "a"
		if i%3 == 0 {
			team = "b"
		}
		ids = append(ids, newFilter(t, c, fmt.Sprintf("filter %02d", i), "team", team))
	}
	count := func(fs ...types.Filter) int {
		t.Helper()
		out := must(c.DescribeTrafficMirrorFilters(ctx, &ec2.DescribeTrafficMirrorFiltersInput{Filters: fs}))(t)
		return len(out.TrafficMirrorFilters)
	}
	f := func(name string, vals ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: vals}
	}
	cases := []struct {
		name string
		fs   []types.Filter
		want int
	}{
		{"none", nil, 12},
		{"description exact", []types.Filter{f("description", "filter 03")}, 1},
		{"description wildcard", []types.Filter{f("description", "filter 1*")}, 2},
		{"description ?", []types.Filter{f("description", "filter 0?")}, 10},
		{"values OR", []types.Filter{f("description", "filter 01", "filter 02")}, 2},
		{"id", []types.Filter{f("traffic-mirror-filter-id", ids[5])}, 1},
		{"tag", []types.Filter{f("tag:team", "b")}, 4},
		{"tag-key", []types.Filter{f("tag-key", "team")}, 12},
		{"tag-key none", []types.Filter{f("tag-key", "owner")}, 0},
		{"AND", []types.Filter{f("tag:team", "b"), f("description", "filter 0*")}, 4},
		{"AND empty", []types.Filter{f("tag:team", "b"), f("description", "filter 01")}, 0},
	}
	for _, tc := range cases {
		if got := count(tc.fs...); got != tc.want {
			t.Errorf("%s: %d filters, want %d", tc.name, got, tc.want)
		}
	}
	// The SDK's paginator walks every page; no filter twice or missed.
	p := ec2.NewDescribeTrafficMirrorFiltersPaginator(c, &ec2.DescribeTrafficMirrorFiltersInput{MaxResults: aws.Int32(5)})
	seen, pages := map[string]bool{}, 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))(t)
		pages++
		if len(out.TrafficMirrorFilters) > 5 {
			t.Fatalf("page of %d > MaxResults 5", len(out.TrafficMirrorFilters))
		}
		for _, x := range out.TrafficMirrorFilters {
			id := aws.ToString(x.TrafficMirrorFilterId)
			if seen[id] {
				t.Fatalf("%s on two pages", id)
			}
			seen[id] = true
		}
	}
	if pages != 3 || len(seen) != 12 {
		t.Fatalf("%d pages, %d filters; want 3 and 12", pages, len(seen))
	}
}

func TestModifyFilterNetworkServices(t *testing.T) {
	s, c := testServer(t, Config{})
	id := newFilter(t, c, "dns")
	out := must(c.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2.ModifyTrafficMirrorFilterNetworkServicesInput{
		TrafficMirrorFilterId: aws.String(id),
		AddNetworkServices:    []types.TrafficMirrorNetworkService{types.TrafficMirrorNetworkServiceAmazonDns},
	}))(t)
	if ns := out.TrafficMirrorFilter.NetworkServices; len(ns) != 1 || ns[0] != "amazon-dns" {
		t.Fatalf("network services = %v", ns)
	}
	if ns := s.Spec().TrafficMirrorFilters[0].NetworkServices; len(ns) != 1 {
		t.Fatalf("spec network services = %v", ns)
	}
	out = must(c.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2.ModifyTrafficMirrorFilterNetworkServicesInput{
		TrafficMirrorFilterId: aws.String(id),
		RemoveNetworkServices: []types.TrafficMirrorNetworkService{types.TrafficMirrorNetworkServiceAmazonDns},
	}))(t)
	if ns := out.TrafficMirrorFilter.NetworkServices; len(ns) != 0 {
		t.Fatalf("network services after removal = %v", ns)
	}
	// The model refuses an unknown service: its rule, the API's error.
	_, err := c.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2.ModifyTrafficMirrorFilterNetworkServicesInput{
		TrafficMirrorFilterId: aws.String(id),
		AddNetworkServices:    []types.TrafficMirrorNetworkService{"netbios"},
	})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2.ModifyTrafficMirrorFilterNetworkServicesInput{
		TrafficMirrorFilterId: aws.String(id),
		RemoveNetworkServices: []types.TrafficMirrorNetworkService{"netbios"},
	})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ModifyTrafficMirrorFilterNetworkServices(ctx, &ec2.ModifyTrafficMirrorFilterNetworkServicesInput{TrafficMirrorFilterId: aws.String("tmf-00000000000000000")})
	wantCode(t, err, "InvalidTrafficMirrorFilterId.NotFound")
	wantRaw(t, s, "Action=ModifyTrafficMirrorFilterNetworkServices&Version=2016-11-15", 400, "MissingParameter")
}
