package spec

import (
	"fmt"
	"strings"
	"testing"
)

// sevenFaults puts seven faults of different stages into the default
// scenario: an unknown field and a dangling reference (the file's own
// check), a reserved address (address resolution), and four provider rules
// (session number, VNI, packet length, a network ACL over its quota).
func sevenFaults(t *testing.T) string {
	src := string(defaultSource(t))
	edits := [][2]string{
		{"  - name: production\n", "  - name: production\n    colour: blue\n"},
		{"TrafficMirrorFilterId: web-in\n      SessionNumber: 1\n      VirtualNetworkId: 1",
			"TrafficMirrorFilterId: web-in\n      SessionNumber: 0\n      VirtualNetworkId: 16777216\n      PacketLength: 9999"},
		{"{name: client-eni, SubnetId: public, PrivateIpAddress: 10.0.0.6}", "{name: client-eni, SubnetId: public, PrivateIpAddress: 10.0.0.1}"},
		{"    dropped: {target: adapter-target, equals: 0}", "    dropped: {target: nowhere-target, equals: 0}"},
	}
	for _, e := range edits {
		if !strings.Contains(src, e[0]) {
			t.Fatalf("default.yaml changed: %q not found", e[0])
		}
		src = strings.Replace(src, e[0], e[1], 1)
	}
	var entries strings.Builder
	for i := 1; i <= 21; i++ {
		fmt.Fprintf(&entries, "        - {RuleNumber: %d, Protocol: tcp, RuleAction: allow, CidrBlock: 10.0.0.16/28, PortRange: {From: 80, To: 80}}\n", 1000+i)
	}
	return strings.Replace(src, "    - name: test-acl\n      entries:\n", "    - name: test-acl\n      entries:\n"+entries.String(), 1)
}

func TestAllProblemsAcrossStages(t *testing.T) {
	src := sevenFaults(t)
	s, err := Parse("t.yaml", []byte(src))
	ps := AllProblems(s, err)
	want := []string{
		`unknown field "colour"`,
		`10.0.0.1 is reserved`,
		`dropped.target: no mirror target named "nowhere-target"`,
		`mirror.sessions[web-session].SessionNumber: InvalidParameterValue`,
		`mirror.sessions[web-session].VirtualNetworkId: InvalidParameterValue`,
		`mirror.sessions[web-session].PacketLength: InvalidParameterValue`,
		`NetworkAclEntryLimitExceeded`,
	}
	for _, w := range want {
		n := 0
		for _, p := range ps {
			if strings.Contains(p.Error(), w) {
				n++
				if p.Line == 0 {
					t.Errorf("%q has no line", p.Error())
				}
			}
		}
		if n != 1 {
			t.Errorf("%d problems say %q, want 1", n, w)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(ps), len(want), ps)
	}
}

func TestReportCapsProblems(t *testing.T) {
	var ps Problems
	for i := range 120 {
		code := "NetworkAclEntryAlreadyExists"
		if i%3 == 0 {
			code = ""
		}
		ps = append(ps, &Problem{File: "t.yaml", Line: i + 1, Code: code, Message: fmt.Sprintf("rule number %d is used twice", i)})
	}
	out := ps.Report(50)
	lines := strings.Split(out, "\n")
	if len(lines) != 51 {
		t.Fatalf("%d lines, want 50 problems and a summary:\n%s", len(lines), out)
	}
	if want := "and 70 more of these kinds: NetworkAclEntryAlreadyExists (47), rule number (23)"; lines[50] != want {
		t.Errorf("summary %q, want %q", lines[50], want)
	}
	if got := ps[:10].Report(50); strings.Contains(got, "more of these kinds") {
		t.Errorf("10 problems summarised: %s", got)
	}
}
