package cloudmock

import (
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"
)

func TestExplain(t *testing.T) {
	s := walkthroughSpec()
	s.NetworkAcls[0].Entries[0].PortRange = &PortRange{From: 4790, To: 4790} // adapter subnet closes 4789
	m := mustNew(t, s)
	d, dl, err := m.Explain("eni-web", Ingress, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Mirrored || dl.Reason != DroppedByTargetNACL {
		t.Fatalf("%s / %s", d, dl)
	}
	if !strings.Contains(dl.String(), "network ACL denies inbound UDP 4789") {
		t.Errorf("delivery text: %s", dl)
	}
	if _, _, err := m.Explain("eni-nope", Ingress, tcp("203.0.113.9", "10.0.0.5", 1, 80)); err == nil {
		t.Error("unknown ENI accepted")
	}
	if _, _, err := m.Explain("eni-web", Ingress, Packet{Proto: encap.ProtoTCP}); err == nil {
		t.Error("packet without addresses accepted")
	}
}
