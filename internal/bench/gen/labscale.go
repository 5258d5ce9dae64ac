package gen

import (
	"fmt"
	"net/netip"
	"strings"
)

// LabScaleSessionsPerTarget is how many sources share one ENI target in
// LabScale's scenario (AWS allows ten sessions per non-dedicated target).
const LabScaleSessionsPerTarget = 10

// LabScale returns the scenario of issue 22 as YAML: n source instances in
// one subnet, one mirror session each to an ENI target (ten sessions per
// target), a UDP sink on every target, and a client that sends five
// datagrams to every tenth source. It is the input of the lab-scale bench
// and of the tests that a large lab comes up and leaves nothing behind.
// n must be between 1 and 4000 (the sources' /20).
func LabScale(n int) ([]byte, error) {
	if n < 1 || n > 4000 {
		return nil, fmt.Errorf("lab scale: %d sources, want 1 to 4000", n)
	}
	targets := (n + LabScaleSessionsPerTarget - 1) / LabScaleSessionsPerTarget
	var b strings.Builder
	b.Grow(400 * n)
	fmt.Fprintf(&b, `name: lab-scale-%d
description: >-
  %d sources, one session each to %d ENI targets (ten sessions per target),
  a UDP sink per target, five datagrams to every tenth source.
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/16
      subnets:
        - {name: sources, CidrBlock: 10.0.0.0/20}
        - {name: targets, CidrBlock: 10.0.16.0/22}
        - {name: clients, CidrBlock: 10.0.20.0/28}
  instances:
    - name: client
      networkInterfaces: [{name: client-eni, SubnetId: clients, PrivateIpAddress: 10.0.20.5}]
`, n, n, targets)
	for i := range n {
		fmt.Fprintf(&b, "    - name: src%d\n      networkInterfaces: [{name: src%d-eni, SubnetId: sources, PrivateIpAddress: %s}]\n",
			i, i, labScaleAddr(netip.MustParseAddr("10.0.0.10"), i))
	}
	for j := range targets {
		fmt.Fprintf(&b, "    - name: tgt%d\n      networkInterfaces: [{name: tgt%d-eni, SubnetId: targets, PrivateIpAddress: %s}]\n",
			j, j, labScaleAddr(netip.MustParseAddr("10.0.16.10"), j))
	}
	b.WriteString(`mirror:
  filters:
    - name: udp-in
      rules:
        - {TrafficDirection: ingress, RuleNumber: 100, RuleAction: accept, Protocol: udp, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
  targets:
`)
	for j := range targets {
		fmt.Fprintf(&b, "    - {name: tgt%d-target, NetworkInterfaceId: tgt%d-eni}\n", j, j)
	}
	b.WriteString("  sessions:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - {name: src%d-session, NetworkInterfaceId: src%d-eni, TrafficMirrorTargetId: tgt%d-target, TrafficMirrorFilterId: udp-in, SessionNumber: 1, VirtualNetworkId: %d}\n",
			i, i, i/LabScaleSessionsPerTarget, i+1)
	}
	b.WriteString("programs:\n")
	for j := range targets {
		fmt.Fprintf(&b, "  - {name: sink%d, instance: tgt%d, builtin: udp-sink}\n", j, j)
	}
	b.WriteString("traffic:\n")
	for i := 0; i < n; i += 10 {
		fmt.Fprintf(&b, "  - {name: to-src%d, from: client, allowFailure: true, udp: {to: src%d, port: 5000, count: 5, size: 100}}\n", i, i)
	}
	b.WriteString("settle: 1s\nexpect:\n")
	for i := 0; i < n; i += 10 {
		fmt.Fprintf(&b, "  - mirrored: {session: src%d-session, equals: 5}\n", i)
	}
	return []byte(b.String()), nil
}

// labScaleAddr is base + i.
func labScaleAddr(base netip.Addr, i int) netip.Addr {
	a := base.As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
