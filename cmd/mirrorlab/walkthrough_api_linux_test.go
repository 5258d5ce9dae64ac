package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sdkhttp"
	"github.com/mirrorlab/mirrorlab/lab"
)

// walk is the reference walk-through built through the EC2 API of
// serve --empty with the SDK: what it made, by the walk-through's names.
type walk struct {
	t         *testing.T
	c         *ec2.Client
	vpc       string
	subnets   map[string]string // public, adapter, test
	groups    map[string]string // web-sg, adapter-sg, test-sg
	instances map[string]string // web, test, adapter, client: instance ids
	enis      map[string]string // web-eni, adapter-eni, ...
	acl       string
	mirror    []string // filter, target, session ids
}

// tag is a Name tag for a resource of type rt.
func tag(rt types.ResourceType, name string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: rt, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}}
}

// result is an API call's answer, for try(call).must(t, what).
type result[T any] struct {
	v   T
	err error
}

func try[T any](v T, err error) result[T] { return result[T]{v, err} }

// must stops the test when the call failed.
func (r result[T]) must(t *testing.T, what string) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.v
}

// TestPrivilegedWalkthroughAPI builds the reference walk-through from
// nothing through the API of serve --empty, with the SDK: a VPC with
// public, adapter and test subnets, the three groups, the adapter's ACL,
// the production and test web servers and the adapter as instances whose
// user data starts the servers and our agent (this test binary, run as
// the mirrorlab command), a client instance, and the mirror filter, rules,
// target and session. HTTP from the client to production must reach the
// test server, replayed by the agent (the test server's log, read with
// GetConsoleOutput). The lab is exported to a scenario file that validate
// accepts. Then everything is deleted through the API: the instances'
// namespaces go, and once serve stops no namespace of the lab is left.
func TestPrivilegedWalkthroughAPI(t *testing.T) {
	privtest.Require(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	var runID string
	t.Run("serve", func(t *testing.T) {
		dir := t.TempDir()
		ep, _ := startServe(t, "", serveOpts{empty: true, stateDir: dir})
		l, err := lab.Choose(dir, "")
		if err != nil {
			t.Fatalf("the lab of serve --empty is not recorded: %v", err)
		}
		runID = l.Record.Info.RunID
		tReady := time.Now()
		baseline := labNamespaces(t, runID)
		c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(ep), RetryMaxAttempts: 1, HTTPClient: sdkhttp.Client{},
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
		w := &walk{t: t, c: c, subnets: map[string]string{}, groups: map[string]string{}, instances: map[string]string{}, enis: map[string]string{}}
		w.network()
		w.launch(self)
		w.mirrorSetUp()
		t.Logf("serve --empty ready in %.1fs; walk-through built through the API in %.1fs", tReady.Sub(t0).Seconds(), time.Since(tReady).Seconds())
		w.checkReplay(dir)
		w.export(ep)
		w.teardown()
		if left := labNamespaces(t, runID); !slices.Equal(left, baseline) {
			t.Fatalf("namespaces after everything was deleted through the API: %v, want those of the empty account %v", left, baseline)
		}
	})
	if left := labNamespaces(t, runID); len(left) != 0 {
		t.Fatalf("namespaces of run %s left after serve stopped: %v", runID, left)
	}
	if left := processesOf(t, self); len(left) != 0 {
		t.Fatalf("processes of this binary (the instances' web servers and agent, the lab's) left after serve stopped: %v", left)
	}
	t.Logf("whole flow: %.1fs", time.Since(t0).Seconds())
}

// processesOf lists the processes other than this one that run the
// executable exe (each as "pid: command line").
func processesOf(t *testing.T, exe string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range procs {
		if target, err := os.Readlink(p + "/exe"); err != nil || target != exe || p == fmt.Sprintf("/proc/%d", os.Getpid()) {
			continue
		}
		cmd, _ := os.ReadFile(p + "/cmdline")
		out = append(out, filepath.Base(p)+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
	}
	return out
}

// labNamespaces lists the network namespaces of run id, sorted.
func labNamespaces(t *testing.T, id string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	var ns []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "ml"+id) {
			ns = append(ns, f[0])
		}
	}
	slices.Sort(ns)
	return ns
}

// network makes the VPC, its subnets, groups and the adapter's ACL.
func (w *walk) network() {
	t, c, ctx := w.t, w.c, context.Background()
	vpc := try(c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/24"), TagSpecifications: tag(types.ResourceTypeVpc, "vpc")})).must(t, "CreateVpc")
	w.vpc = aws.ToString(vpc.Vpc.VpcId)
	for _, s := range [][2]string{{"public", "10.0.0.0/28"}, {"adapter", "10.0.0.16/28"}, {"test", "10.0.0.32/28"}} {
		out := try(c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(s[1]),
			AvailabilityZone: aws.String("us-east-1a"), TagSpecifications: tag(types.ResourceTypeSubnet, s[0])})).must(t, "CreateSubnet "+s[0])
		w.subnets[s[0]] = aws.ToString(out.Subnet.SubnetId)
	}
	for _, g := range []struct {
		name, proto, cidr string
		port              int32
	}{{"web-sg", "tcp", "0.0.0.0/0", 80}, {"adapter-sg", "udp", "10.0.0.0/28", 4789}, {"test-sg", "tcp", "10.0.0.16/28", 80}} {
		out := try(c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(g.name),
			Description: aws.String(g.name), VpcId: vpc.Vpc.VpcId, TagSpecifications: tag(types.ResourceTypeSecurityGroup, g.name)})).must(t, "CreateSecurityGroup "+g.name)
		w.groups[g.name] = aws.ToString(out.GroupId)
		try(c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: out.GroupId, IpProtocol: aws.String(g.proto), FromPort: aws.Int32(g.port), ToPort: aws.Int32(g.port), CidrIp: aws.String(g.cidr)})).must(t, "AuthorizeSecurityGroupIngress "+g.name)
	}
	acl := try(c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: vpc.Vpc.VpcId, TagSpecifications: tag(types.ResourceTypeNetworkAcl, "adapter-acl")})).must(t, "CreateNetworkAcl")
	w.acl = aws.ToString(acl.NetworkAcl.NetworkAclId)
	for i, e := range []struct {
		egress   bool
		proto    string
		cidr     string
		from, to int32
	}{{false, "17", "10.0.0.0/28", 4789, 4789}, {false, "6", "10.0.0.32/28", 1024, 65535}, {true, "6", "10.0.0.32/28", 80, 80}} {
		try(c.CreateNetworkAclEntry(ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: acl.NetworkAcl.NetworkAclId,
			RuleNumber: aws.Int32(100 + 10*int32(i)), Egress: aws.Bool(e.egress), Protocol: aws.String(e.proto), RuleAction: types.RuleActionAllow,
			CidrBlock: aws.String(e.cidr), PortRange: &types.PortRange{From: aws.Int32(e.from), To: aws.Int32(e.to)}})).must(t, "CreateNetworkAclEntry")
	}
	cur := try(c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{
		{Name: aws.String("association.subnet-id"), Values: []string{w.subnets["adapter"]}}}})).must(t, "DescribeNetworkAcls")
	var assoc *string
	for _, a := range cur.NetworkAcls {
		for _, as := range a.Associations {
			if aws.ToString(as.SubnetId) == w.subnets["adapter"] {
				assoc = as.NetworkAclAssociationId
			}
		}
	}
	if assoc == nil {
		t.Fatalf("no network ACL association of the adapter subnet: %+v", cur.NetworkAcls)
	}
	try(c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: assoc, NetworkAclId: acl.NetworkAcl.NetworkAclId})).must(t, "ReplaceNetworkAclAssociation")
}

// launch runs the four instances; the servers' and the agent's user data
// run this test binary as the mirrorlab command or as a web server.
func (w *walk) launch(self string) {
	t, c, ctx := w.t, w.c, context.Background()
	img := try(c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"al2023-ami-2023.*-x86_64"}}}})).must(t, "DescribeImages")
	if len(img.Images) == 0 {
		t.Fatal("DescribeImages: no Amazon Linux 2023 image")
	}
	server := fmt.Sprintf("#!/bin/sh\n%s=:80 exec %s\n", testHTTPServerEnv, self)
	agent := fmt.Sprintf("#!/bin/sh\n%s=1 exec %s agent -destination http://10.0.0.36 -filter-request-port 80\n", asCommandEnv, self)
	for _, in := range []struct{ name, subnet, ip, group, userData string }{
		{"web", "public", "10.0.0.5", "web-sg", server},
		{"test", "test", "10.0.0.36", "test-sg", server},
		{"adapter", "adapter", "10.0.0.20", "adapter-sg", agent},
		{"client", "public", "10.0.0.6", "", ""},
	} {
		var groups []string
		if in.group != "" {
			groups = []string{w.groups[in.group]}
		}
		out := try(c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: img.Images[0].ImageId,
			InstanceType: types.InstanceTypeM5Large, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			SubnetId: aws.String(w.subnets[in.subnet]), PrivateIpAddress: aws.String(in.ip), SecurityGroupIds: groups,
			UserData:          aws.String(base64.StdEncoding.EncodeToString([]byte(in.userData))),
			TagSpecifications: append(tag(types.ResourceTypeInstance, in.name), tag(types.ResourceTypeNetworkInterface, in.name+"-eni")...)})).must(t, "RunInstances "+in.name)
		if len(out.Instances) != 1 || len(out.Instances[0].NetworkInterfaces) != 1 {
			t.Fatalf("RunInstances %s: %+v", in.name, out.Instances)
		}
		w.instances[in.name] = aws.ToString(out.Instances[0].InstanceId)
		w.enis[in.name+"-eni"] = aws.ToString(out.Instances[0].NetworkInterfaces[0].NetworkInterfaceId)
	}
	ids := make([]string, 0, len(w.instances))
	for _, id := range w.instances {
		ids = append(ids, id)
	}
	waiter := ec2.NewInstanceRunningWaiter(c, func(o *ec2.InstanceRunningWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 30*time.Second); err != nil {
		t.Fatalf("instances not running: %v", err)
	}
}

// mirrorSetUp mirrors the production server's ENI to the adapter's: the
// walk-through's filter (inbound TCP 80, answers from port 80), target and
// session (VNI 1).
func (w *walk) mirrorSetUp() {
	t, c, ctx := w.t, w.c, context.Background()
	f := try(c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{
		Description: aws.String("web-in"), TagSpecifications: tag(types.ResourceTypeTrafficMirrorFilter, "web-in")})).must(t, "CreateTrafficMirrorFilter")
	fid := f.TrafficMirrorFilter.TrafficMirrorFilterId
	rules := []ec2.CreateTrafficMirrorFilterRuleInput{
		{TrafficDirection: types.TrafficDirectionIngress, DestinationPortRange: &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(80), ToPort: aws.Int32(80)}},
		{TrafficDirection: types.TrafficDirectionEgress, SourcePortRange: &types.TrafficMirrorPortRangeRequest{FromPort: aws.Int32(80), ToPort: aws.Int32(80)}},
	}
	for i := range rules {
		r := &rules[i]
		r.TrafficMirrorFilterId, r.RuleNumber, r.RuleAction, r.Protocol = fid, aws.Int32(100), types.TrafficMirrorRuleActionAccept, aws.Int32(6)
		r.SourceCidrBlock, r.DestinationCidrBlock = aws.String("0.0.0.0/0"), aws.String("0.0.0.0/0")
		try(c.CreateTrafficMirrorFilterRule(ctx, r)).must(t, "CreateTrafficMirrorFilterRule")
	}
	tg := try(c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{
		NetworkInterfaceId: aws.String(w.enis["adapter-eni"]), TagSpecifications: tag(types.ResourceTypeTrafficMirrorTarget, "adapter-target")})).must(t, "CreateTrafficMirrorTarget")
	s := try(c.CreateTrafficMirrorSession(ctx, &ec2.CreateTrafficMirrorSessionInput{
		NetworkInterfaceId: aws.String(w.enis["web-eni"]), TrafficMirrorTargetId: tg.TrafficMirrorTarget.TrafficMirrorTargetId,
		TrafficMirrorFilterId: fid, SessionNumber: aws.Int32(1), VirtualNetworkId: aws.Int32(1),
		TagSpecifications: tag(types.ResourceTypeTrafficMirrorSession, "web-session")})).must(t, "CreateTrafficMirrorSession")
	w.mirror = []string{aws.ToString(fid), aws.ToString(tg.TrafficMirrorTarget.TrafficMirrorTargetId), aws.ToString(s.TrafficMirrorSession.TrafficMirrorSessionId)}
}

// checkReplay sends HTTP from the client instance to production and
// waits for every request in the test server's log (its console output):
// mirrored to the adapter, decoded and replayed by the agent.
func (w *walk) checkReplay(stateDir string) {
	t := w.t
	ns := w.namespaceOf(stateDir, w.instances["client"])
	var paths []string
	// the servers' user data may still be starting: retry the first request
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if w.console("web") != "" || time.Now().After(deadline) {
			break
		}
	}
	paths = httpFromClient(t, ns, "walk", 5)
	want := func(name string) {
		t.Helper()
		var log string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			log = w.console(name)
			if !slices.ContainsFunc(paths, func(p string) bool { return !strings.Contains(log, "GET "+p+" ") }) {
				return
			}
		}
		t.Fatalf("the %s server's log lacks some of %v:\n%s\nthe agent's:\n%s", name, paths, log, w.console("adapter"))
	}
	want("web")
	want("test")
	t.Logf("%d requests from the client to production replayed to the test server by the agent", len(paths))
}

// console is instance name's console output (its user data's output).
func (w *walk) console(name string) string {
	out := try(w.c.GetConsoleOutput(context.Background(), &ec2.GetConsoleOutputInput{InstanceId: aws.String(w.instances[name])})).must(w.t, "GetConsoleOutput "+name)
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.Output))
	if err != nil {
		w.t.Fatalf("GetConsoleOutput %s: %v", name, err)
	}
	return string(b)
}

// namespaceOf waits for the lab's record (refreshed every second) to name
// instance id's namespace, as mirrorlab exec finds it.
func (w *walk) namespaceOf(stateDir, id string) string {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		l, err := lab.Choose(stateDir, "")
		if err != nil {
			w.t.Fatal(err)
		}
		if ns := l.Record.Info.Instances[id]; ns != "" {
			return ns
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the lab's record has no namespace for %s: %v", id, l.Record.Info.Instances)
		}
	}
}

// export writes the lab as a scenario file and validates it.
func (w *walk) export(ep string) {
	t := w.t
	file := filepath.Join(t.TempDir(), "walk.yaml")
	if code, out, errOut := mainOut(t, "export", "--endpoint", ep, "-o", file); code != 0 {
		t.Fatalf("mirrorlab export: exit %d\n%s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(file)
	if code, out, errOut := mainOut(t, "validate", file); code != 0 {
		t.Fatalf("mirrorlab validate of the export: exit %d\n%s%s\n%s", code, out, errOut, b)
	}
	for _, want := range []string{"name: web-session", "name: adapter-target", "name: web-eni", "name: adapter-acl", "name: test-sg"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the export lacks %q:\n%s", want, b)
		}
	}
	t.Logf("export:\n%s", b)
	// With the two lines of the README, mirrorlab run passes it: the user
	// data is not exported (no servers), so the client's connections to
	// web are refused, but their SYNs and web's resets are mirrored.
	withLines := append(b, []byte(exportAddedLines)...)
	if err := os.WriteFile(file, withLines, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := mainOut(t, "run", file, "--state-dir", t.TempDir()); code != 0 || !strings.Contains(out, "PASS") {
		t.Fatalf("mirrorlab run of the export with the README's two lines: exit %d\n%s%s", code, out, errOut)
	}
	readme, _ := os.ReadFile("../../README.md")
	if !strings.Contains(string(readme), exportAddedLines) {
		t.Errorf("README.md does not show the two lines added to the export:\n%s", exportAddedLines)
	}
}

// exportAddedLines are the README's two lines that make the export of the
// walk-through a scenario that mirrorlab run passes.
const exportAddedLines = `traffic: [{from: client, tcp: {to: web, port: 80, count: 10}, allowFailure: true}]
expect: [{mirrored: {session: web-session, min: 10}}, {metric: {networkInterface: web-eni, name: NetworkPacketsMirrorIn, min: 10}}]
`

// teardown deletes through the API everything the walk-through made, in
// the order Terraform would, and checks the instances' namespaces are gone.
func (w *walk) teardown() {
	t, c, ctx := w.t, w.c, context.Background()
	try(c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(w.mirror[2])})).must(t, "DeleteTrafficMirrorSession")
	try(c.DeleteTrafficMirrorTarget(ctx, &ec2.DeleteTrafficMirrorTargetInput{TrafficMirrorTargetId: aws.String(w.mirror[1])})).must(t, "DeleteTrafficMirrorTarget")
	try(c.DeleteTrafficMirrorFilter(ctx, &ec2.DeleteTrafficMirrorFilterInput{TrafficMirrorFilterId: aws.String(w.mirror[0])})).must(t, "DeleteTrafficMirrorFilter")
	ids := make([]string, 0, len(w.instances))
	for _, id := range w.instances {
		ids = append(ids, id)
	}
	try(c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})).must(t, "TerminateInstances")
	waiter := ec2.NewInstanceTerminatedWaiter(c, func(o *ec2.InstanceTerminatedWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids}, 30*time.Second); err != nil {
		t.Fatalf("instances not terminated: %v", err)
	}
	for name, id := range w.groups {
		try(c.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})).must(t, "DeleteSecurityGroup "+name)
	}
	for name, id := range w.subnets {
		try(c.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})).must(t, "DeleteSubnet "+name)
	}
	try(c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(w.acl)})).must(t, "DeleteNetworkAcl")
	try(c.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(w.vpc)})).must(t, "DeleteVpc")
}
