package export

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

func scenarioFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../../scenarios/library/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("library: %v (%d files)", err, len(files))
	}
	return append([]string{"../../../scenarios/default.yaml"}, files...)
}

// served is what the API server holds for a scenario: the original, its
// state with AWS ids, the ids' original names and the Name tags.
type served struct {
	src   []byte
	orig  *spec.Scenario
	state cloudmock.Spec
	names map[string]string
	tags  map[string]map[string]string
}

func serve(t *testing.T, file string) served {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := spec.Parse(file, src)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ms := orig.Model()
	st, names, tags := awsIDs(ms)
	return served{src, orig, st, names, tags}
}

func export(t *testing.T, s served) []byte {
	t.Helper()
	e, err := New("exported.yaml", s.src, s.names)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	out, err := e.Export(s.state, s.tags)
	if err != nil {
		t.Fatalf("Export: %v\n%s", err, out)
	}
	return out
}

// load parses an exported file as `mirrorlab validate` does: strict YAML
// and checks, then the provider's rules.
func load(t *testing.T, out []byte, wantModelProblems bool) *spec.Scenario {
	t.Helper()
	s, err := spec.Parse("exported.yaml", out)
	if err != nil {
		t.Fatalf("exported file does not load: %v\n%s", err, out)
	}
	if ps := s.ModelProblems(); (ps != nil) != wantModelProblems {
		t.Fatalf("model problems %v (want some: %v)\n%s", ps, wantModelProblems, out)
	}
	return s
}

// stateOf is the state a served exported file would give: its model spec
// with the same AWS ids.
func stateOf(t *testing.T, s *spec.Scenario) cloudmock.Spec {
	t.Helper()
	ms := s.Model()
	st, _, _ := awsIDs(ms)
	return st
}

func expectsValidationError(s *spec.Scenario) bool {
	return s.ExpectsRefusal()
}

// TestRoundTrip: every scenario of the library, served and exported, loads,
// gives the same state, keeps programs, traffic and expectations, and
// exports to the same bytes again.
func TestRoundTrip(t *testing.T) {
	schema, err := jsonschema.NewCompiler().Compile("../../../scenarios/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := serve(t, f)
			out := export(t, s)
			got := load(t, out, expectsValidationError(s.orig))
			if st := stateOf(t, got); !reflect.DeepEqual(st, s.state) {
				t.Errorf("state differs after the round trip:\n got %+v\nwant %+v\n%s", st, s.state, out)
			}
			if got.Name != s.orig.Name || got.Description != s.orig.Description || got.Settle != s.orig.Settle {
				t.Errorf("name/description/settle differ: %q %q %v", got.Name, got.Description, got.Settle)
			}
			for _, c := range []struct {
				what      string
				got, want any
			}{
				{"programs", got.Programs, s.orig.Programs},
				{"traffic", got.Traffic, s.orig.Traffic},
				{"expect", got.Expect, s.orig.Expect},
				{"instances", got.Network.Instances.List, withAddrs(s.orig)},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s differ:\n got %+v\nwant %+v", c.what, c.got, c.want)
				}
			}
			if err := schema.Validate(asJSON(t, out)); err != nil {
				t.Errorf("the export does not validate against the JSON Schema: %v", err)
			}
			if strings.HasPrefix(string(s.src), "# yaml-language-server") && !strings.HasPrefix(string(out), "# yaml-language-server") {
				t.Errorf("the original's top comment (the schema modeline) is lost:\n%s", out)
			}
			again := export(t, serve2(t, out, got))
			if string(again) != string(out) {
				t.Errorf("export is not stable:\nfirst:\n%s\nsecond:\n%s", out, again)
			}
		})
	}
}

// withAddrs is the original's instances with every interface's address
// given (the export writes the addresses the loader assigned).
func withAddrs(s *spec.Scenario) []spec.Instance {
	out := slices.Clone(s.Network.Instances.List)
	for i := range out {
		out[i].NetworkInterfaces = slices.Clone(out[i].NetworkInterfaces)
		for j := range out[i].NetworkInterfaces {
			e := &out[i].NetworkInterfaces[j]
			a, _ := s.Addr(e.NetworkInterfaceId)
			e.PrivateIpAddress = a.String()
		}
	}
	return out
}

func serve2(t *testing.T, src []byte, s *spec.Scenario) served {
	t.Helper()
	ms := s.Model()
	st, names, tags := awsIDs(ms)
	return served{src, s, st, names, tags}
}

func byName(s served, name string) string {
	for id, n := range s.names {
		if n == name {
			return id
		}
	}
	return ""
}

// TestExportAfterChanges: what the API changed (a new filter, target and
// session, a security group rule, a NACL entry, a deleted session, renamed
// resources) is in the export, which loads; expectations on the deleted
// session are dropped with a comment; references follow renames.
func TestExportAfterChanges(t *testing.T) {
	s := serve(t, "../../../scenarios/default.yaml")
	st := &s.state
	adapterSG, testENI, webENI := byName(s, "adapter-sg"), byName(s, "test-eni"), byName(s, "web-eni")
	// the API: a rule and an entry more, web-session deleted, a new session
	for i := range st.SecurityGroups {
		if st.SecurityGroups[i].GroupId == adapterSG {
			st.SecurityGroups[i].IpPermissions = append(st.SecurityGroups[i].IpPermissions, cloudmock.IpPermission{
				IpProtocol: "udp", FromPort: 4789, ToPort: 4789, IpRanges: []cloudmock.IpRange{{CidrIp: "10.0.0.32/28"}},
				Ipv6Ranges: []cloudmock.Ipv6Range{{CidrIpv6: "fd00::/64"}},
			})
		}
	}
	st.NetworkAcls[1].Entries = append(st.NetworkAcls[1].Entries, cloudmock.NetworkAclEntry{
		RuleNumber: 120, Protocol: "17", RuleAction: "allow", CidrBlock: "10.0.0.32/28", PortRange: &cloudmock.PortRange{From: 4789, To: 4789},
	})
	st.TrafficMirrorSessions = nil
	st.TrafficMirrorFilters = append(st.TrafficMirrorFilters, &cloudmock.TrafficMirrorFilter{
		TrafficMirrorFilterId: "tmf-0aaaaaaaaaaaaaaaa",
		EgressFilterRules: []cloudmock.TrafficMirrorFilterRule{{
			TrafficMirrorFilterRuleId: "tmfr-0bbbbbbbbbbbbbbbb", RuleNumber: 10, RuleAction: "accept",
			SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0",
		}},
	})
	st.TrafficMirrorTargets = append(st.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: "tmt-0ccccccccccccccccc", NetworkInterfaceId: byName(s, "adapter-eni")})
	st.TrafficMirrorSessions = append(st.TrafficMirrorSessions, &cloudmock.TrafficMirrorSession{
		TrafficMirrorSessionId: "tms-0ddddddddddddddddd", NetworkInterfaceId: testENI,
		TrafficMirrorTargetId: "tmt-0ccccccccccccccccc", TrafficMirrorFilterId: "tmf-0aaaaaaaaaaaaaaaa",
		SessionNumber: 2, VirtualNetworkId: new(77),
	})
	s.tags["tmf-0aaaaaaaaaaaaaaaa"] = map[string]string{"Name": "all-egress"}
	s.tags["tms-0ddddddddddddddddd"] = map[string]string{"Name": "test-session"}
	// no Name tag on the target: named by its id
	s.tags[webENI]["Name"] = "prod-eni"
	s.tags[byName(s, "web")]["Name"] = "prod"

	out := export(t, s)
	got := load(t, out, false)
	text := string(out)
	t.Logf("exported:\n%s", out)
	for _, want := range []string{
		"name: all-egress", "name: test-session", "name: tmt-0ccccccccccccccccc", "VirtualNetworkId: 77",
		"{IpProtocol: udp, FromPort: 4789, ToPort: 4789, CidrIp: 10.0.0.32/28}",
		"{RuleNumber: 120, Protocol: udp, RuleAction: allow, CidrBlock: 10.0.0.32/28, PortRange: {From: 4789, To: 4789}}",
		`mirror session "web-session" is gone`, "fd00::/64",
		"name: prod", "name: prod-eni",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "web-session") && !strings.Contains(text, `# `) {
		t.Errorf("web-session still referenced:\n%s", text)
	}
	for _, e := range got.Expect {
		if m, ok := e.Check.(*spec.Mirrored); ok && m.Session == "web-session" {
			t.Errorf("the expectation on the deleted session was kept")
		}
		if m, ok := e.Check.(*spec.Metric); ok && m.NetworkInterface != "" && m.NetworkInterface != "prod-eni" {
			t.Errorf("metric expectation names %q, want the renamed prod-eni", m.NetworkInterface)
		}
	}
	if len(got.Expect) != len(s.orig.Expect)-1 {
		t.Errorf("%d expectations, want %d (one dropped)", len(got.Expect), len(s.orig.Expect)-1)
	}
	if got.Programs[0].Instance != "prod" {
		t.Errorf("program production runs on %q, want the renamed instance prod", got.Programs[0].Instance)
	}
	if h, ok := got.Traffic[0].Step.(*spec.HTTPLoad); !ok || h.To != "prod" {
		t.Errorf("traffic goes to %+v, want prod", got.Traffic[0].Step)
	}
	// the exported state is the server's, the IPv6 range included
	ms := got.Model()
	v6 := false
	for _, g := range ms.SecurityGroups {
		for _, p := range g.IpPermissions {
			v6 = v6 || len(p.Ipv6Ranges) == 1 && p.Ipv6Ranges[0].CidrIpv6 == "fd00::/64" && p.FromPort == 4789
		}
	}
	if !v6 {
		t.Errorf("the security group rule's IPv6 range fd00::/64 was not exported: %+v", ms.SecurityGroups)
	}
	if n := len(ms.TrafficMirrorSessions); n != 1 || ms.TrafficMirrorSessions[0].NetworkInterfaceId != "test-eni" || ms.TrafficMirrorSessions[0].TrafficMirrorFilterId != "all-egress" {
		t.Errorf("sessions: %+v", ms.TrafficMirrorSessions)
	}
}

// TestNamesFallBackToIDs: a Name tag that is no valid scenario name, or
// that two resources share, gives way to the ids.
func TestNamesFallBackToIDs(t *testing.T) {
	s := serve(t, "../../../scenarios/default.yaml")
	s.tags[byName(s, "public")]["Name"] = "public subnet" // a space: invalid
	s.tags[byName(s, "web-sg")]["Name"] = "shared"
	s.tags[byName(s, "test-sg")]["Name"] = "shared"
	out := export(t, s)
	load(t, out, false)
	for _, want := range []string{"name: " + byName(s, "public"), "name: " + byName(s, "web-sg"), "name: " + byName(s, "test-sg")} {
		if !strings.Contains(string(out), want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
}

// TestNewRejectsBadOriginal: the original must load.
func TestNewRejectsBadOriginal(t *testing.T) {
	if _, err := New("bad.yaml", []byte("name: x\nnetwork: {vpcs: []}\nbogus: 1\n"), nil); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("New accepted a bad original, or the error does not name it: %v", err)
	}
}

// asJSON turns YAML into the JSON value an editor validates.
func asJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}
