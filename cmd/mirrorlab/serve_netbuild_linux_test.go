package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// serve --empty --no-lab, driven by the aws CLI (each one present): a
// network built and taken down again — VPC (waited for, DNS attributes),
// subnet, security group — and the DependencyViolation of a VPC deleted
// too early (route tables and ACLs: the SDK tests of internal/apiserver/ec2api).
// Needs no root.
func TestServeEmptyAWSCLIBuildsNetwork(t *testing.T) {
	ep, _ := startServe(t, "", serveOpts{empty: true, noLab: true})
	for _, cli := range awsCLIs(t) {
		t.Run(cli.version[:strings.IndexByte(cli.version+" ", ' ')], func(t *testing.T) {
			home := t.TempDir()
			ec2 := func(args ...string) map[string]any { t.Helper(); return awsEC2(t, cli, home, ep, args...) }
			vpc := str(t, ec2("create-vpc", "--cidr-block", "10.20.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]"), "Vpc", "VpcId")
			ec2("wait", "vpc-available", "--vpc-ids", vpc)
			ec2("modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", `{"Value":true}`)
			if a := ec2("describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames"); a["EnableDnsHostnames"].(map[string]any)["Value"] != true {
				t.Fatalf("describe-vpc-attribute: %v", a)
			}
			subnet := str(t, ec2("create-subnet", "--vpc-id", vpc, "--cidr-block", "10.20.1.0/24", "--availability-zone", "us-east-1b"), "Subnet", "SubnetId")
			sg := str(t, ec2("create-security-group", "--group-name", "web", "--description", "web servers", "--vpc-id", vpc), "GroupId")
			if msg := awsEC2Fails(t, cli, home, ep, "delete-vpc", "--vpc-id", vpc); !strings.Contains(msg, "DependencyViolation") {
				t.Fatalf("delete-vpc of a VPC with a subnet: %s", msg)
			}
			ec2("delete-security-group", "--group-id", sg)
			ec2("delete-subnet", "--subnet-id", subnet)
			ec2("delete-vpc", "--vpc-id", vpc)
			if msg := awsEC2Fails(t, cli, home, ep, "describe-vpcs", "--vpc-ids", vpc); !strings.Contains(msg, "InvalidVpcID.NotFound") {
				t.Fatalf("describe-vpcs of the deleted VPC: %s", msg)
			}
		})
	}
}

// awsEC2Fails runs an aws ec2 command that must fail and returns what it
// printed.
func awsEC2Fails(t *testing.T, cli awsCLI, home, endpoint string, args ...string) string {
	t.Helper()
	full := append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json", "ec2"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli.path, full...)
	cmd.Env = awsEnv(home)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("aws ec2 %s succeeded, want an error:\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}
