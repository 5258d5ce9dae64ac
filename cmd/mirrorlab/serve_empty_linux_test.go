package main

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/lab"
)

// serve --empty --no-lab, driven by the aws CLI (each one present): the
// account's images found by the usual name filter, its instance types,
// its zones and its default VPC and subnets. Needs no root.
func TestServeEmptyAWSCLI(t *testing.T) {
	ep, out := startServe(t, "", serveOpts{empty: true, noLab: true})
	if !strings.Contains(out.String(), "EC2 API for new-account") || !strings.Contains(out.String(), "6 default subnets; API only") {
		t.Fatalf("serve --empty's output:\n%s", out.String())
	}
	for _, cli := range awsCLIs(t) {
		t.Run(cli.version[:strings.IndexByte(cli.version+" ", ' ')], func(t *testing.T) {
			home := t.TempDir()
			ec2 := func(args ...string) map[string]any { t.Helper(); return awsEC2(t, cli, home, ep, args...) }
			imgs := ec2("describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023.*-x86_64")
			list, _ := imgs["Images"].([]any)
			if len(list) != 1 || !strings.HasPrefix(str(t, list[0], "Name"), "al2023-ami-2023.") || str(t, list[0], "Architecture") != "x86_64" ||
				len(str(t, list[0], "ImageId")) != len("ami-")+17 || str(t, list[0], "OwnerId") != "137112412989" {
				t.Fatalf("describe-images: %v", imgs)
			}
			types := ec2("describe-instance-types", "--instance-types", "t2.micro", "m5.large")
			tl, _ := types["InstanceTypes"].([]any)
			if len(tl) != 2 || str(t, tl[0], "InstanceType") != "m5.large" || str(t, tl[0], "Hypervisor") != "nitro" || str(t, tl[1], "Hypervisor") != "xen" {
				t.Fatalf("describe-instance-types: %v", types)
			}
			// the CLI pages through every type by itself
			all, _ := ec2("describe-instance-types", "--page-size", "5")["InstanceTypes"].([]any)
			if len(all) < 10 {
				t.Fatalf("describe-instance-types, paged: %d types", len(all))
			}
			zones, _ := ec2("describe-availability-zones")["AvailabilityZones"].([]any)
			if len(zones) != 6 || str(t, zones[0], "ZoneId") != "use1-az1" || str(t, zones[0], "OptInStatus") != "opt-in-not-required" {
				t.Fatalf("describe-availability-zones: %v", zones)
			}
			subs, _ := ec2("describe-subnets", "--filters", "Name=default-for-az,Values=true", "Name=availability-zone,Values=us-east-1c")["Subnets"].([]any)
			if len(subs) != 1 || str(t, subs[0], "CidrBlock") != "172.31.32.0/20" {
				t.Fatalf("default subnet of us-east-1c: %v", subs)
			}
			cliInstances(t, ec2, str(t, list[0], "ImageId"), str(t, subs[0], "SubnetId"), cli.version[:strings.IndexByte(cli.version+" ", ' ')])
		})
	}
}

// cliInstances launches two instances with user data and a Name tag into
// a subnet, finds them by tag, reads their user data back and terminates
// them, with the aws CLI (name: the Name tag, one per CLI, since each
// finds the instances another terminated, as EC2 shows them for a while).
func cliInstances(t *testing.T, ec2 func(args ...string) map[string]any, ami, subnet, name string) {
	t.Helper()
	script := "#!/bin/sh\necho hello from user data\n"
	run := ec2("run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--count", "2", "--subnet-id", subnet,
		"--user-data", script, "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value="+name+"}]")
	insts, _ := run["Instances"].([]any)
	if len(insts) != 2 || str(t, insts[0], "State", "Name") != "pending" || str(t, insts[0], "PrivateIpAddress") != "172.31.32.4" ||
		str(t, insts[1], "PrivateIpAddress") != "172.31.32.5" || str(t, insts[0], "SubnetId") != subnet {
		t.Fatalf("run-instances: %v", run)
	}
	ids := []string{str(t, insts[0], "InstanceId"), str(t, insts[1], "InstanceId")}
	res, _ := ec2("describe-instances", "--filters", "Name=tag:Name,Values="+name)["Reservations"].([]any)
	if len(res) != 1 || len(res[0].(map[string]any)["Instances"].([]any)) != 2 {
		t.Fatalf("describe-instances by tag: %v", res)
	}
	attr := ec2("describe-instance-attribute", "--instance-id", ids[0], "--attribute", "userData")
	if b, err := base64.StdEncoding.DecodeString(str(t, attr, "UserData", "Value")); err != nil || string(b) != script {
		t.Fatalf("user data read back: %q (%v)", b, err)
	}
	term := ec2("terminate-instances", "--instance-ids", ids[0], ids[1])
	tl, _ := term["TerminatingInstances"].([]any)
	if len(tl) != 2 || str(t, tl[0], "CurrentState", "Name") != "shutting-down" {
		t.Fatalf("terminate-instances: %v", term)
	}
	left, _ := ec2("describe-network-interfaces", "--filters", "Name=subnet-id,Values="+subnet)["NetworkInterfaces"].([]any)
	if len(left) != 0 {
		t.Fatalf("the terminated instances' interfaces remain: %v", left)
	}
}

func TestServeEmptyRefusesFile(t *testing.T) {
	err := runServe(t.Context(), &app{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, "rule-order", serveOpts{empty: true, listen: "127.0.0.1:0"})
	if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), "--empty") {
		t.Fatalf("serve --empty FILE: %v", err)
	}
}

// serve --empty with a lab builds the new account's network (its VPC's
// fabric, no instances), records it for status and down, and hands the
// API's changes to it.
func TestPrivilegedServeEmptyLab(t *testing.T) {
	privtest.Require(t)
	dir := t.TempDir()
	ep, out := startServe(t, "", serveOpts{empty: true, stateDir: dir})
	if !strings.Contains(out.String(), "6 default subnets; mirrorlab exec") {
		t.Fatalf("serve --empty's output:\n%s", out.String())
	}
	l, err := lab.Choose(dir, "")
	if err != nil {
		t.Fatalf("the lab of serve --empty is not recorded: %v", err)
	}
	info := l.Record.Info
	if info.Scenario != "new-account" || info.File != emptyFile || len(info.Instances) != 0 {
		t.Fatalf("recorded lab: %+v", info)
	}
	ns, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ns), "ml"+info.RunID) {
		t.Fatalf("no namespace of run %s: %s", info.RunID, ns)
	}
	resp, err := http.PostForm(ep, url.Values{"Action": {"CreateTrafficMirrorFilter"}, "Version": {"2016-11-15"}, "Description": {"on the lab"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a change through the API on the lab of serve --empty: HTTP %d", resp.StatusCode)
	}
}
