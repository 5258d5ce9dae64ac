package export

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/sdkhttp"
)

// server serves a scenario file as mirrorlab serve does (AssignIDs, Name
// tags, the exporter) on 127.0.0.1.
type server struct {
	srv *ec2api.Server
	url string
	ec2 *ec2.Client
}

func serveFile(t *testing.T, file string, src []byte) server {
	t.Helper()
	s, err := spec.Parse(file, src)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	ms := s.Model()
	st, names := ec2api.AssignIDs(ms, s.Name)
	ex, err := New(file, src, names)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv, err := ec2api.New(ec2api.Config{Spec: st, Names: names, Export: ex.Export, Seed: s.Seed()})
	if err != nil {
		t.Fatalf("serve %s: %v", file, err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1, HTTPClient: sdkhttp.Client{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	return server{srv: srv, url: hs.URL, ec2: c}
}

// exported is GET /mirrorlab/scenario.
func (s server) exported(t *testing.T) []byte {
	t.Helper()
	resp, err := http.Get(s.url + "/mirrorlab/scenario")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /mirrorlab/scenario: %d %v\n%s", resp.StatusCode, err, b)
	}
	return b
}

// The served state of every scenario of the library, exported, loads, and
// served again gives the same state and the same export.
func TestExportServedRoundTrip(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if orig, _ := spec.Parse(f, src); orig.ModelProblems() != nil {
			continue // the provider refuses it (as it expects): there is nothing to serve
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			first := serveFile(t, f, src)
			out := first.exported(t)
			load(t, out, false)
			second := serveFile(t, "exported.yaml", out)
			if a, b := first.srv.Spec(), second.srv.Spec(); !reflect.DeepEqual(a, b) {
				t.Fatalf("the exported scenario serves another state:\n first %+v\nsecond %+v\n%s", a, b, out)
			}
			if again := second.exported(t); string(again) != string(out) {
				t.Fatalf("export of the export differs:\n%s\n---\n%s", out, again)
			}
		})
	}
}

// What the API changed is in the export, which validates and serves the
// same state again.
func TestExportAfterAPIChanges(t *testing.T) {
	src, err := os.ReadFile("../../../scenarios/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := serveFile(t, "default.yaml", src)
	c, ctx := s.ec2, context.Background()
	eni := func(name string) string {
		out, err := c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{name}}}})
		if err != nil || len(out.NetworkInterfaces) != 1 {
			t.Fatalf("find %s: %v %+v", name, err, out)
		}
		return aws.ToString(out.NetworkInterfaces[0].NetworkInterfaceId)
	}
	byName := func(rt types.ResourceType, name string) []types.TagSpecification {
		return []types.TagSpecification{{ResourceType: rt, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}}
	}
	ok := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{TagSpecifications: byName(types.ResourceTypeTrafficMirrorFilter, "client-out")})
	ok(f, err)
	fid := f.TrafficMirrorFilter.TrafficMirrorFilterId
	ok(c.CreateTrafficMirrorFilterRule(ctx, &ec2.CreateTrafficMirrorFilterRuleInput{TrafficMirrorFilterId: fid, TrafficDirection: types.TrafficDirectionEgress,
		RuleNumber: aws.Int32(10), RuleAction: types.TrafficMirrorRuleActionAccept, Protocol: aws.Int32(6),
		SourceCidrBlock: aws.String("0.0.0.0/0"), DestinationCidrBlock: aws.String("0.0.0.0/0")}))
	tg, err := c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String(eni("adapter-eni"))})
	ok(tg, err)
	ok(c.CreateTrafficMirrorSession(ctx, &ec2.CreateTrafficMirrorSessionInput{NetworkInterfaceId: aws.String(eni("client-eni")),
		TrafficMirrorFilterId: fid, TrafficMirrorTargetId: tg.TrafficMirrorTarget.TrafficMirrorTargetId, SessionNumber: aws.Int32(1),
		VirtualNetworkId: aws.Int32(4242), TagSpecifications: byName(types.ResourceTypeTrafficMirrorSession, "client-session")}))
	sess, err := c.DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"web-session"}}}})
	ok(sess, err)
	ok(c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: sess.TrafficMirrorSessions[0].TrafficMirrorSessionId}))
	sg, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"adapter-sg"}}}})
	ok(sg, err)
	ok(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.SecurityGroups[0].GroupId,
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("udp"), FromPort: aws.Int32(4789), ToPort: aws.Int32(4789), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.32/28")}}}}}))
	acl, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"adapter-acl"}}}})
	ok(acl, err)
	ok(c.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: acl.NetworkAcls[0].NetworkAclId, RuleNumber: aws.Int32(120), Egress: aws.Bool(false),
		Protocol: aws.String("17"), RuleAction: types.RuleActionAllow, CidrBlock: aws.String("10.0.0.32/28"), PortRange: &types.PortRange{From: aws.Int32(4789), To: aws.Int32(4789)}}))
	ok(c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{eni("web-eni")}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("prod-eni")}}}))

	out := s.exported(t)
	got := load(t, out, false)
	text := string(out)
	for _, want := range []string{
		"name: client-out", "name: client-session", "VirtualNetworkId: 4242", "NetworkInterfaceId: client-eni", "name: prod-eni",
		"{IpProtocol: udp, FromPort: 4789, ToPort: 4789, CidrIp: 10.0.0.32/28}",
		"{RuleNumber: 120, Protocol: udp, RuleAction: allow, CidrBlock: 10.0.0.32/28, PortRange: {From: 4789, To: 4789}}",
		`mirror session "web-session" is gone`, "metric: {networkInterface: prod-eni",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("exported:\n%s", out)
	}
	if n := len(got.Mirror.Sessions); n != 1 {
		t.Errorf("%d sessions exported, want 1", n)
	}
	// served again, the export gives the same export
	again := serveFile(t, "exported.yaml", out).exported(t)
	if string(again) != text {
		t.Fatalf("export of the export differs:\n%s\n---\n%s", out, again)
	}
}
