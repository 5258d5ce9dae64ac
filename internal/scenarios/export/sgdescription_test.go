package export

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSecurityGroupRuleDescriptions: a rule's Description is part of the
// model, so a served scenario's descriptions come back in the export, each
// on its rule, and the exported file gives the same state.
func TestSecurityGroupRuleDescriptions(t *testing.T) {
	src, err := os.ReadFile("../../../scenarios/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for _, e := range [][2]string{
		{"{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}", "{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0, Description: web from anywhere}"},
		{"{IpProtocol: udp, FromPort: 4789, ToPort: 4789, CidrIp: 10.0.0.0/28}", "{IpProtocol: udp, FromPort: 4789, ToPort: 4789, SourceSecurityGroupId: web-sg, Description: VXLAN from the source}"},
	} {
		if !strings.Contains(text, e[0]) {
			t.Fatalf("%q not in default.yaml", e[0])
		}
		text = strings.Replace(text, e[0], e[1], 1)
	}
	file := filepath.Join(t.TempDir(), "described.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s := serve(t, file)
	out := export(t, s)
	for _, want := range []string{"CidrIp: 0.0.0.0/0, Description: web from anywhere}", "SourceSecurityGroupId: web-sg, Description: VXLAN from the source}"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
	if st := stateOf(t, load(t, out, false)); !reflect.DeepEqual(st, s.state) {
		t.Errorf("state differs after the round trip:\n got %+v\nwant %+v", st, s.state)
	}
}
