package spec

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/workload"
)

func loadDefault(t *testing.T) *Scenario {
	t.Helper()
	s, err := Load("../../../scenarios/default.yaml")
	if err != nil {
		t.Fatalf("default scenario: %v", err)
	}
	return s
}

func TestDefaultScenarioLoads(t *testing.T) {
	s := loadDefault(t)
	if ps := s.ModelProblems(); ps != nil {
		t.Fatalf("model problems: %v", ps)
	}
	if a, ok := s.Addr("web"); !ok || a != netip.MustParseAddr("10.0.0.5") {
		t.Fatalf("Addr(web) = %v, %v", a, ok)
	}
	m := s.Model()
	if len(m.TrafficMirrorSessions) != 1 || *m.TrafficMirrorSessions[0].VirtualNetworkId != 1 ||
		m.TrafficMirrorFilters[0].IngressFilterRules[0].Protocol != 6 {
		t.Fatalf("model spec %+v", m)
	}
}

func TestAddressesAssignedAsAWSDoes(t *testing.T) {
	src := header + `    - name: third
      networkInterfaces: [{name: third-eni, SubnetId: a, PrivateIpAddress: 10.0.0.5}]
    - name: fourth
      networkInterfaces: [{name: fourth-eni, SubnetId: a}]
`
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// .0-.3 reserved; .5 given explicitly; so src .4, dst .6, fourth .7
	for name, want := range map[string]string{"src-eni": "10.0.0.4", "dst": "10.0.0.6", "third": "10.0.0.5", "fourth-eni": "10.0.0.7"} {
		if a, ok := s.Addr(name); !ok || a != netip.MustParseAddr(want) {
			t.Errorf("Addr(%s) = %v, %v; want %s", name, a, ok, want)
		}
	}
	full := header + `    - {name: c, networkInterfaces: [{name: c-eni, SubnetId: a, PrivateIpAddress: 10.0.0.15}]}
`
	got := problemsOf(t, full)
	wantProblems(t, got, `10.0.0.15 is reserved in subnet "a"`)
}

// problemsOf parses src and returns the problems as "line: message".
// testBuiltins checks the http-server's args as the program does (the
// agent's check is registered by package scenarios).
var testBuiltins = Builtins{Args: map[string]func([]string) error{
	BuiltinHTTPServer: func(args []string) error { _, err := workload.ParseServerArgs(args); return err },
}}

func problemsOf(t *testing.T, src string) []string {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	if s != nil {
		err = JoinProblems(err, s.CheckArgs(testBuiltins))
	}
	if err == nil {
		if ps := s.ModelProblems(); ps != nil {
			err = ps
		}
	}
	ps := AsProblems(err)
	if ps == nil {
		t.Fatalf("no problems found (err %v)", err)
	}
	var out []string
	for _, p := range ps {
		if p.File != "t.yaml" {
			t.Errorf("problem %v names file %q", p, p.File)
		}
		out = append(out, p.Error())
	}
	return out
}

func wantProblems(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

const header = `name: t
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: a, CidrBlock: 10.0.0.0/28}
  instances:
    - name: src
      networkInterfaces: [{name: src-eni, SubnetId: a}]
    - name: dst
      networkInterfaces: [{name: dst-eni, SubnetId: a}]
`

func TestUnknownFieldsAllReportedWithLines(t *testing.T) {
	src := header + `mirror:
  sessions:
    - name: s
      NetworkInterfaceId: src-eni
      TrafficMirrorTargetId: t
      TrafficMirrorFilterId: f
      SessionNumber: 1
      vni: 3
  filters:
    - name: f
      rules:
        - {TrafficDirection: ingress, RuleNumber: 1, RuleAction: accept, sourceCidrBlock: 0.0.0.0/0}
bogus: true
profile: {rejectBehavior: reject-stops}
`
	got := problemsOf(t, src)
	// the semantic problems come with the decoding ones
	wantProblems(t, got,
		`t.yaml:17:7: mirror.sessions[s].TrafficMirrorTargetId: no mirror target named "t"`,
		`t.yaml:20: unknown field "vni" (allowed here:`,
		`t.yaml:24: unknown field "sourceCidrBlock" (did you mean SourceCidrBlock?)`,
		`t.yaml:25: unknown field "bogus" (allowed here: description, expect,`,
		// the American spelling of the British key
		`t.yaml:26: unknown field "rejectBehavior" (did you mean rejectBehaviour?)`,
	)
}

func TestBadValuesAllReported(t *testing.T) {
	src := `name: t
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.1/24
  networkAcls:
    - name: acl
      entries: [{RuleNumber: 1, Protocol: tcpx, RuleAction: allow, CidrBlock: 0.0.0.0/0}]
settle: soon
`
	got := problemsOf(t, src)
	wantProblems(t, got, "t.yaml:5: CIDR block \"10.0.0.1/24\" has host bits set", "t.yaml:8: protocol \"tcpx\"", "t.yaml:9: duration \"soon\"")
}

func TestSemanticProblemsAllAtOnce(t *testing.T) {
	src := header + `mirror:
  targets:
    - {name: t, NetworkInterfaceId: nope-eni}
  sessions:
    - {name: s, NetworkInterfaceId: src-eni, TrafficMirrorTargetId: t2, TrafficMirrorFilterId: f, SessionNumber: 1}
programs:
  - {name: p, instance: ghost, builtin: http-server, args: [-port, "0"]}
  - {name: q, instance: dst}
traffic:
  - {from: src, http: {to: nowhere}}
  - {from: src, udp: {to: dst, port: 53}, tcp: {to: dst, port: 1}}
expect:
  - mirrored: {session: s, min: 5, max: 2}
  - requests: {program: q}
  - {}
`
	got := problemsOf(t, src)
	wantProblems(t, got,
		`t.yaml:15:17: mirror.targets[t].NetworkInterfaceId: no network interface named "nope-eni"`,
		`t.yaml:17:46: mirror.sessions[s].TrafficMirrorTargetId: no mirror target named "t2"`,
		`mirror.sessions[s].TrafficMirrorFilterId: no mirror filter named "f"`,
		`t.yaml:19:15: programs[p].instance: no instance named "ghost"`,
		`programs[p].args: http-server: -port 0 out of range`,
		`t.yaml:20:5: programs[q]: program "q" needs builtin`,
		`t.yaml:22:24: traffic[0].http.to: "nowhere" is not an IP address`,
		`t.yaml:23:5: traffic[1]: a traffic step needs exactly one of`,
		`t.yaml:25:5: expect[0].mirrored: min 5 is above max 2`,
		`t.yaml:26:16: expect[1].requests.program: program "q" is not the built-in http-server`,
		`t.yaml:27:5: expect[2]: an expectation needs exactly one kind`,
	)
}

func TestDuplicateNamesAndBadAddresses(t *testing.T) {
	src := `name: t
network:
  vpcs:
    - name: vpc
      CidrBlock: 10.0.0.0/24
      subnets:
        - {name: a, CidrBlock: 10.0.0.0/28}
        - {name: b, CidrBlock: 10.0.1.0/28}
  instances:
    - name: x
      networkInterfaces: [{name: x, SubnetId: a, PrivateIpAddress: 10.0.0.40}]
`
	got := problemsOf(t, src)
	wantProblems(t, got,
		`t.yaml:8:21: network.vpcs[vpc].subnets[b].CidrBlock: subnet 10.0.1.0/28 is not inside VPC "vpc"`,
		`t.yaml:11:28: network.instances[x].networkInterfaces[x].name: name "x" is already used (line 10)`,
		`t.yaml:11:50: network.instances[x].networkInterfaces[x].PrivateIpAddress: 10.0.0.40 is not in subnet "a"`,
	)
}

func TestModelProblemsMapToLines(t *testing.T) {
	// four sessions on one source (AWS allows 3), a rule with a port range
	// but no protocol, and an ENI both source and target.
	src := header + `mirror:
  filters:
    - name: f
      rules:
        - {TrafficDirection: egress, RuleNumber: 5, RuleAction: accept, SourceCidrBlock: 0.0.0.0/0, DestinationCidrBlock: 0.0.0.0/0}
        - TrafficDirection: ingress
          RuleNumber: 1
          RuleAction: accept
          SourceCidrBlock: 0.0.0.0/0
          DestinationCidrBlock: 0.0.0.0/0
          DestinationPortRange: {FromPort: 80, ToPort: 80}
  targets:
    - {name: t, NetworkInterfaceId: dst-eni}
    - {name: t-src, NetworkInterfaceId: src-eni}
  sessions:
    - {name: s1, NetworkInterfaceId: src-eni, TrafficMirrorTargetId: t, TrafficMirrorFilterId: f, SessionNumber: 1}
    - {name: s2, NetworkInterfaceId: src-eni, TrafficMirrorTargetId: t, TrafficMirrorFilterId: f, SessionNumber: 2}
    - {name: s3, NetworkInterfaceId: src-eni, TrafficMirrorTargetId: t, TrafficMirrorFilterId: f, SessionNumber: 3}
    - {name: s4, NetworkInterfaceId: src-eni, TrafficMirrorTargetId: t, TrafficMirrorFilterId: f, SessionNumber: 4}
    - {name: s5, NetworkInterfaceId: dst-eni, TrafficMirrorTargetId: t-src, TrafficMirrorFilterId: f, SessionNumber: 1}
`
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ps := s.ModelProblems()
	byCode := map[string]*Problem{}
	for _, p := range ps {
		byCode[p.Code] = p
	}
	lim := byCode["TrafficMirrorSessionLimitExceeded"]
	if lim == nil || lim.Line != 31 || lim.Path != "mirror.sessions[s4].NetworkInterfaceId" || lim.Resource != "TrafficMirrorSession s4" {
		t.Fatalf("session limit problem = %+v (all: %v)", lim, ps)
	}
	combo := byCode["InvalidParameterCombination"]
	if combo == nil || combo.Line != 23 || combo.Path != "mirror.filters[f].rules[1].DestinationPortRange" {
		t.Fatalf("port range problem = %+v (all: %v)", combo, ps)
	}
	if !errors.As(ps, new(*Problem)) {
		t.Fatal("Problems does not unwrap to *Problem")
	}
}

func TestNotAMapping(t *testing.T) {
	for _, src := range []string{"", "- a\n- b\n", "name: [\n"} {
		if _, err := Parse("t.yaml", []byte(src)); AsProblems(err) == nil {
			t.Errorf("Parse(%q) = %v, want problems", src, err)
		}
	}
}

func TestRefTagAccepted(t *testing.T) {
	src := header + `mirror:
  targets:
    - {name: t, NetworkInterfaceId: !Ref dst-eni}
`
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Mirror.Targets[0].NetworkInterfaceId != "dst-eni" {
		t.Fatalf("!Ref not read as the name: %q", s.Mirror.Targets[0].NetworkInterfaceId)
	}
}

func TestEveryFileHasTheModeline(t *testing.T) {
	files := libraryFiles(t)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "# yaml-language-server: $schema=") {
			t.Errorf("%s: first line is not the yaml-language-server modeline", f)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameResponses.baseline names a server of its own, one per agent, and the
// agent reaches it at its instance's address and its -port.
func TestSameResponsesBaseline(t *testing.T) {
	src := header + `programs:
  - {name: prod, instance: src, builtin: http-server}
  - {name: test, instance: dst, builtin: http-server}
  - {name: base, instance: dst, builtin: http-server, args: [-port, "8080"]}
  - {name: other, instance: dst, builtin: http-server, args: [-port, "8081"]}
  - {name: agent, instance: dst, builtin: agent, args: [-destination, "http://10.0.0.5"]}
expect:
  - sameResponses: {production: prod, test: test, baseline: prod}
  - sameResponses: {production: prod, test: test, baseline: agent}
  - sameResponses: {production: prod, test: test, baseline: base}
  - sameResponses: {production: prod, test: test, baseline: other}
`
	got := problemsOf(t, src)
	wantProblems(t, got,
		`t.yaml:20:51: expect[0].sameResponses.baseline: baseline "prod": must be a server of its own`,
		`t.yaml:21:51: expect[1].sameResponses.baseline: program "agent" is not the built-in http-server`,
		`t.yaml:23:51: expect[3].sameResponses.baseline: baseline "other": agent "agent" already compares against baseline "base"`,
	)
	s, err := Parse("t.yaml", []byte(header+`programs:
  - {name: base, instance: dst, builtin: http-server, args: [-port, "8080"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := s.Addr("dst")
	if u, err := s.ServerURL("base"); err != nil || u != "http://"+dst.String()+":8080" {
		t.Fatalf("ServerURL = %q, %v (dst is %s)", u, err, dst)
	}
	if _, err := s.ServerURL("nope"); err == nil {
		t.Fatal("ServerURL of a missing program")
	}
}
