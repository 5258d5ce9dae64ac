package ec2api

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// wantRefused fails unless the form is answered 400 with the code and a
// message naming the parameter.
func wantRefused(t *testing.T, s *Server, form, code, param string) {
	t.Helper()
	rec := serveForm(s, form)
	body := rec.Body.String()
	if rec.Code != 400 || !strings.Contains(body, "<Code>"+code+"</Code>") || !strings.Contains(body, param) {
		t.Errorf("%.120s…: %d %.300s, want 400 %s naming %s", form, rec.Code, body, code, param)
	}
	if len(body) > 2000 {
		t.Errorf("the error echoes the value: %d bytes", len(body))
	}
}

// EC2's length limits: a description 255 characters, a tag key 128, a tag
// value 256, a ClientToken 64.
func TestLengthLimits(t *testing.T) {
	s, c := testServer(t, Config{})
	create := "Action=CreateTrafficMirrorFilter&Version=2016-11-15"
	wantRefused(t, s, create+"&Description="+strings.Repeat("d", 256), "InvalidParameterValue", "Description")
	wantRefused(t, s, create+"&Description="+strings.Repeat("é", 200000), "InvalidParameterValue", "Description")
	wantRefused(t, s, create+"&ClientToken="+strings.Repeat("t", 65), "InvalidParameterValue", "ClientToken")
	spec := "&TagSpecification.1.ResourceType=traffic-mirror-filter&TagSpecification.1.Tag.1.Key="
	wantRefused(t, s, create+spec+strings.Repeat("k", 129)+"&TagSpecification.1.Tag.1.Value=v", "InvalidParameterValue", "TagSpecification.1.Tag.1.Key")
	wantRefused(t, s, create+spec+"k&TagSpecification.1.Tag.1.Value="+strings.Repeat("v", 257), "InvalidParameterValue", "TagSpecification.1.Tag.1.Value")
	sgDesc := "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=" + sgWeb +
		"&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=1&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8&IpPermissions.1.IpRanges.1.Description="
	wantRefused(t, s, sgDesc+strings.Repeat("d", 256), "InvalidParameterValue", "IpPermissions.1.IpRanges.1.Description")
	if n := len(s.Spec().TrafficMirrorFilters); n != 0 {
		t.Fatalf("refused requests created %d filters", n)
	}
	// at the limits, accepted
	in := &ec2.CreateTrafficMirrorFilterInput{Description: aws.String(strings.Repeat("é", 255)), ClientToken: aws.String(strings.Repeat("t", 64)),
		TagSpecifications: tagSpec(types.ResourceTypeTrafficMirrorFilter, strings.Repeat("k", 128), strings.Repeat("v", 256))}
	must(c.CreateTrafficMirrorFilter(ctx, in))(t)
}

// A Describe carries at most 50 filters and 200 values in all, each value
// at most 256 characters: EC2's FilterLimitExceeded beyond.
func TestFilterLimits(t *testing.T) {
	s, _ := testServer(t, Config{})
	base := "Action=DescribeTrafficMirrorFilters&Version=2016-11-15"
	var many strings.Builder
	for i := 1; i <= 51; i++ {
		fmt.Fprintf(&many, "&Filter.%d.Name=description&Filter.%d.Value.1=x", i, i)
	}
	wantRefused(t, s, base+many.String(), "FilterLimitExceeded", "filters")
	var values strings.Builder
	values.WriteString("&Filter.1.Name=description&Filter.2.Name=tag:Name")
	for i := 1; i <= 201; i++ {
		fmt.Fprintf(&values, "&Filter.%d.Value.%d=x", i%2+1, i)
	}
	wantRefused(t, s, base+values.String(), "FilterLimitExceeded", "values")
	wantRefused(t, s, base+"&Filter.1.Name=description&Filter.1.Value.1="+url.QueryEscape("*"+strings.Repeat("a", 256)), "InvalidParameterValue", "Filter.1.Value.1")
	if rec := serveForm(s, base+"&Filter.1.Name=description&Filter.1.Value.1="+url.QueryEscape("*"+strings.Repeat("a", 255))); rec.Code != 200 {
		t.Fatalf("a 256-character value: %d %s", rec.Code, rec.Body.String())
	}
}

// A query does not hold a lock that a change waits for: while one is
// stuck in the middle of its matching, a change completes.
func TestQueryDoesNotBlockChanges(t *testing.T) {
	s, c := testServer(t, Config{Apply: func(cloudmock.Spec) error { return nil }})
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	go func() {
		q := &call{s: s}
		_, _ = q.read(func(*cloudmock.Spec, tagStore) (any, error) {
			close(started)
			<-release
			return nil, nil
		})
	}()
	<-started
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a change waited 20s for a query to finish its matching")
	}
}
