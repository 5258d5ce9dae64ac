package ec2api

import (
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// benchSpec is the fixture with n traffic mirror filters of one rule each
// (n resources beside the network).
func benchSpec(n int) cloudmock.Spec {
	spec := fixtureSpec()
	for i := range n {
		spec.TrafficMirrorFilters = append(spec.TrafficMirrorFilters, cloudmock.TrafficMirrorFilter{
			TrafficMirrorFilterId: fmt.Sprintf("tmf-%017x", i+1),
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{{TrafficMirrorFilterRuleId: fmt.Sprintf("tmfr-%017x", i+1),
				RuleNumber: 100, RuleAction: "accept", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0", Protocol: 6}},
		})
	}
	return spec
}

// BenchmarkOneChange is one ModifyTrafficMirrorFilterRule (a rule's
// action flipped) on an account of 10 and of 10 000 filters: the cost of
// a change should be what it changes, not the size of the account.
func BenchmarkOneChange(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			s, err := New(Config{Spec: benchSpec(n), Seed: 1, Apply: func(cloudmock.Spec) error { return nil }})
			if err != nil {
				b.Fatal(err)
			}
			rule := fmt.Sprintf("tmfr-%017x", n/2+1)
			actions := [2]string{"reject", "accept"}
			i := 0
			for b.Loop() {
				rec := serveForm(s, "Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId="+rule+"&RuleAction="+actions[i%2])
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
				i++
			}
		})
	}
}
