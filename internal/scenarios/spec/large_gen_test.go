package spec

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// largeOut, when set, makes BenchmarkValidateLarge also write the files it
// generates to this directory, so that `mirrorlab validate FILE` can be
// measured on the same bytes (/usr/bin/time -v).
var largeOut = flag.String("large.out", "", "write the generated large scenario files to this directory")

// largeInstances is a valid scenario of n instances, each with one network
// interface and no address, so that every address is handed out by
// resolveAddrs. Each VPC is a /16 with one /16 subnet (AWS's largest), and
// holds at most 60 000 interfaces; the rest of the file is the smallest
// mirror set-up (one filter, one target, one session).
func largeInstances(n int) []byte {
	const perVPC = 60_000
	var b strings.Builder
	b.Grow(n * 110)
	b.WriteString("name: large-instances\nnetwork:\n  vpcs:\n")
	vpcs := (n + perVPC - 1) / perVPC
	for v := range max(vpcs, 1) {
		fmt.Fprintf(&b, "    - name: vpc%d\n      CidrBlock: 10.%d.0.0/16\n      subnets:\n        - {name: sub%d, CidrBlock: 10.%d.0.0/16}\n", v, v, v, v)
	}
	b.WriteString("  securityGroups:\n")
	for v := range max(vpcs, 1) {
		fmt.Fprintf(&b, "    - name: sg%d\n      VpcId: vpc%d\n      SecurityGroupIngress:\n        - {IpProtocol: udp, FromPort: 4789, ToPort: 4789, CidrIp: 10.0.0.0/8}\n", v, v)
	}
	b.WriteString("  instances:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - name: i%d\n      networkInterfaces:\n        - {name: e%d, SubnetId: sub%d, GroupSet: [sg%d]}\n", i, i, i/perVPC, i/perVPC)
	}
	b.WriteString(`mirror:
  filters:
    - name: f
      rules:
        - {TrafficDirection: ingress, RuleNumber: 100, RuleAction: accept, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
  targets:
    - {name: t, NetworkInterfaceId: e1}
  sessions:
    - {name: s, NetworkInterfaceId: e0, TrafficMirrorTargetId: t, TrafficMirrorFilterId: f, SessionNumber: 1}
`)
	return []byte(b.String())
}

// writeLarge writes data as name under -large.out, when given.
func writeLarge(b *testing.B, name string, data []byte) {
	if *largeOut == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(*largeOut, name), data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkValidateLarge validates, as `mirrorlab validate` does, generated
// files of 20 000 and 100 000 instances (every address handed out by the
// loader) and of 100 000 network ACL entries (rejected, 51-line report).
func BenchmarkValidateLarge(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"instances=20000", largeInstances(20_000)},
		{"instances=100000", largeInstances(100_000)},
		{"nacl=100000", largeNACL(b, 100_000)},
	} {
		writeLarge(b, c.name+".yaml", c.data)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				s, err := Parse("large.yaml", c.data)
				_ = AllProblems(s, err).Report(DefaultReportLimit)
			}
		})
	}
}
