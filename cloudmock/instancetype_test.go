package cloudmock

import (
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

func TestMirrorSourceSupported(t *testing.T) {
	for typ, want := range map[string]bool{
		"":           true, // unknown: not refused
		"m5.large":   true,
		"t3.micro":   true,
		"m6g.large":  true,
		"c5.large":   true,
		"m4.large":   true, // non-Nitro, listed as supported
		"i3.large":   true,
		"t2.micro":   false, // "this does not include T2 instances"
		"m3.medium":  false,
		"c6gn.large": false, // Nitro, listed as unavailable
		"M6I.LARGE":  false,
		"m5.metal":   false,
		"i3.metal":   false,
	} {
		if got, why := MirrorSourceSupported(typ); got != want || (got == (why != "")) {
			t.Errorf("MirrorSourceSupported(%q) = %v, %q; want %v", typ, got, why, want)
		}
	}
}

// withSourceType gives the walk-through's source ENI (eni-web) an instance
// of the type.
func withSourceType(typ string) Spec {
	s := walkthroughSpec()
	s.NetworkInterfaces[0].InstanceId = "i-web"
	s.NetworkInterfaces[0].InstanceType = typ
	return s
}

func TestValidateSourceInstanceType(t *testing.T) {
	ok, bad := withSourceType("m5.large"), withSourceType("t2.micro")
	if err := ok.Validate(); err != nil {
		t.Fatalf("m5.large source refused: %v", err)
	}
	ves := validationErrors(t, bad.Validate())
	if len(ves) != 1 || ves[0].Code != codes.SourceInstanceType || ves[0].Resource != "TrafficMirrorSession" ||
		ves[0].ID != "tms-web" || ves[0].Field != "NetworkInterfaceId" || !strings.Contains(ves[0].Message, "t2.micro") {
		t.Fatalf("t2.micro source: %+v", ves)
	}
	// only the source's type counts: a t2 target is fine
	s := walkthroughSpec()
	s.NetworkInterfaces[1].InstanceType = "t2.micro"
	if err := s.Validate(); err != nil {
		t.Fatalf("t2.micro target refused: %v", err)
	}
	// Alibaba's supported types are not AWS's
	s = withSourceType("t2.micro")
	s.Profile = "alibaba"
	for _, ve := range validationErrors(t, s.Validate()) {
		if strings.Contains(ve.Message, "mirror source") {
			t.Fatalf("alibaba profile applies AWS's instance types: %v", ve)
		}
	}
}

func TestValidateInstanceTypeAgrees(t *testing.T) {
	s := withSourceType("m5.large")
	s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: "eni-web2", SubnetId: "subnet-public",
		PrivateIpAddress: "10.0.0.7", InstanceId: "i-web", InstanceType: "c5.large"})
	ves := validationErrors(t, s.Validate())
	if len(ves) != 1 || ves[0].ID != "eni-web2" || ves[0].Field != "InstanceType" {
		t.Fatalf("two types for one instance: %+v", ves)
	}
}
