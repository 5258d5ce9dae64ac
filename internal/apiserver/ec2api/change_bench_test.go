package ec2api

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// benchSpec is the fixture with n traffic mirror filters of one rule each
// (n resources beside the network).
func benchSpec(n int) cloudmock.Spec {
	spec := fixtureSpec()
	for i := range n {
		spec.TrafficMirrorFilters = append(spec.TrafficMirrorFilters, &cloudmock.TrafficMirrorFilter{
			TrafficMirrorFilterId: fmt.Sprintf("tmf-%017x", i+1),
			IngressFilterRules: []cloudmock.TrafficMirrorFilterRule{{TrafficMirrorFilterRuleId: fmt.Sprintf("tmfr-%017x", i+1),
				RuleNumber: 100, RuleAction: "accept", SourceCidrBlock: "0.0.0.0/0", DestinationCidrBlock: "0.0.0.0/0", Protocol: 6}},
		})
	}
	return spec
}

// benchServer is a server over benchSpec(n) whose Apply accepts every
// state, as a running lab's would.
func benchServer(b *testing.B, n int) *Server {
	return benchServerNamed(b, n, nil)
}

// benchServerNamed is benchServer with Name tags.
func benchServerNamed(b *testing.B, n int, names map[string]string) *Server {
	b.Helper()
	s, err := New(Config{Spec: benchSpec(n), Names: names, Seed: 1, Apply: func(cloudmock.Spec) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchSizes are the account sizes a change is measured at: the cost of a
// change should be what it changes, not the size of the account.
var benchSizes = []int{10, 10000}

// benchForms measures one request per iteration at each account size,
// the i-th request being form(n, i) on an account of n filters.
func benchForms(b *testing.B, form func(n, i int) string) { benchFormsNamed(b, false, form) }

// benchFormsNamed is benchForms, on accounts whose filters all have a
// Name tag when named.
func benchFormsNamed(b *testing.B, named bool, form func(n, i int) string) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			var names map[string]string
			if named {
				names = map[string]string{}
				for i := range n {
					names[fmt.Sprintf("tmf-%017x", i+1)] = fmt.Sprint("filter ", i)
				}
			}
			s := benchServerNamed(b, n, names)
			i := 0
			for b.Loop() {
				if rec := serveForm(s, form(n, i)); rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
				i++
			}
		})
	}
}

// BenchmarkOneChange is one ModifyTrafficMirrorFilterRule (a rule's
// action flipped) on an account of 10 and of 10 000 filters.
func BenchmarkOneChange(b *testing.B) {
	actions := [2]string{"reject", "accept"}
	benchForms(b, func(n, i int) string {
		return fmt.Sprintf("Action=ModifyTrafficMirrorFilterRule&Version=2016-11-15&TrafficMirrorFilterRuleId=tmfr-%017x&RuleAction=%s", n/2+1, actions[i%2])
	})
}

// BenchmarkOneChangeTags is one CreateTags on a filter (a change of the
// tags alone) at 10 and 10 000 filters.
func BenchmarkOneChangeTags(b *testing.B) {
	benchForms(b, func(n, i int) string {
		return fmt.Sprintf("Action=CreateTags&Version=2016-11-15&ResourceId.1=tmf-%017x&Tag.1.Key=k&Tag.1.Value=v%d", n/2+1, i%2)
	})
}

// BenchmarkOneChangeTagged is BenchmarkOneChangeTags on an account whose
// every filter has a Name tag: a change copies the part of the tags it
// writes, not every resource's.
func BenchmarkOneChangeTagged(b *testing.B) {
	benchFormsNamed(b, true, func(n, i int) string {
		return fmt.Sprintf("Action=CreateTags&Version=2016-11-15&ResourceId.1=tmf-%017x&Tag.1.Key=k&Tag.1.Value=v%d", n/2+1, i%2)
	})
}

// BenchmarkOneChangeElsewhere is one ModifyVpcAttribute (a change of an
// action that declares no list: everything but the mirror resources is
// copied) at 10 and 10 000 filters: the filters are not its cost.
func BenchmarkOneChangeElsewhere(b *testing.B) {
	values := [2]string{"false", "true"}
	benchForms(b, func(_, i int) string {
		return "Action=ModifyVpcAttribute&Version=2016-11-15&VpcId=" + vpcID + "&EnableDnsHostnames.Value=" + values[i%2]
	})
}

var filterIDInAnswer = regexp.MustCompile(`<trafficMirrorFilterId>([^<]+)<`)

var targetIDInAnswer = regexp.MustCompile(`<trafficMirrorTargetId>([^<]+)<`)

// BenchmarkOneChangeCreateDelete alternates CreateTrafficMirrorFilter and
// DeleteTrafficMirrorFilter of the filter just created (one change per
// operation: a new id drawn, a resource added or removed) at 10 and
// 10 000 filters (n-1 before the create: AWS's quota is 10 000).
func BenchmarkOneChangeCreateDelete(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			benchCreateDelete(b, benchServer(b, n-1), "Action=CreateTrafficMirrorFilter&Version=2016-11-15&Description=bench",
				"Action=DeleteTrafficMirrorFilter&Version=2016-11-15&TrafficMirrorFilterId=", filterIDInAnswer)
		})
	}
}

// BenchmarkOneChangeManyTargets is BenchmarkOneChangeTarget on an
// account of 10 and 10 000 mirror targets (AWS's quota is 10 000 per
// account): a target change copies the target list (a list of values of
// no pointer, one allocation), so it costs that list.
func BenchmarkOneChangeManyTargets(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			spec := benchSpec(0)
			for i := range n - 1 {
				spec.TrafficMirrorTargets = append(spec.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{
					TrafficMirrorTargetId: fmt.Sprintf("tmt-%017x", i+1), NetworkInterfaceId: eniTest})
			}
			s, err := New(Config{Spec: spec, Seed: 1, Apply: func(cloudmock.Spec) error { return nil }})
			if err != nil {
				b.Fatal(err)
			}
			benchCreateDelete(b, s, "Action=CreateTrafficMirrorTarget&Version=2016-11-15&NetworkInterfaceId="+eniAdapter,
				"Action=DeleteTrafficMirrorTarget&Version=2016-11-15&TrafficMirrorTargetId=", targetIDInAnswer)
		})
	}
}

// benchCreateDelete alternates the create form and the delete form of
// the resource just created (its id, found by idIn, appended).
func benchCreateDelete(b *testing.B, s *Server, create, del string, idIn *regexp.Regexp) {
	created := ""
	for b.Loop() {
		form := create
		if created != "" {
			form = del + created
		}
		rec := serveForm(s, form)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		if created != "" {
			created = ""
		} else if m := idIn.FindStringSubmatch(rec.Body.String()); m != nil {
			created = m[1]
		} else {
			b.Fatalf("no id in %s", rec.Body.String())
		}
	}
}

// BenchmarkOneChangeTarget alternates CreateTrafficMirrorTarget and
// DeleteTrafficMirrorTarget at 10 and 10 000 filters: a change of a list
// other than the filters (the whole account is validated, but for the
// filters' checks).
func BenchmarkOneChangeTarget(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			benchCreateDelete(b, benchServer(b, n), "Action=CreateTrafficMirrorTarget&Version=2016-11-15&NetworkInterfaceId="+eniAdapter,
				"Action=DeleteTrafficMirrorTarget&Version=2016-11-15&TrafficMirrorTargetId=", targetIDInAnswer)
		})
	}
}

var sessionIDInAnswer = regexp.MustCompile(`<trafficMirrorSessionId>([^<]+)<`)

// sessionsSpec is benchSpec(1) (one filter) with a target on the
// network load balancer (no limit of sessions per load balancer target)
// and n sessions to it: AWS allows three sessions per source ENI, so the
// sessions have a source ENI for every three, in a VPC of their own.
func sessionsSpec(n int) cloudmock.Spec {
	spec := benchSpec(1)
	const tgt = "tmt-0000000000000000b"
	spec.TrafficMirrorTargets = append(spec.TrafficMirrorTargets, &cloudmock.TrafficMirrorTarget{TrafficMirrorTargetId: tgt, NetworkLoadBalancerArn: nlbArn})
	spec.Vpcs = append(spec.Vpcs, cloudmock.Vpc{VpcId: "vpc-0000000000000bench", CidrBlock: "10.1.0.0/16"})
	spec.Subnets = append(spec.Subnets, cloudmock.Subnet{SubnetId: "subnet-000000000000bench", VpcId: "vpc-0000000000000bench", CidrBlock: "10.1.0.0/16"})
	for i := range n {
		eni := fmt.Sprintf("eni-%017x", 0x100000+i/3)
		if i%3 == 0 {
			spec.NetworkInterfaces = append(spec.NetworkInterfaces, cloudmock.NetworkInterface{NetworkInterfaceId: eni,
				SubnetId: "subnet-000000000000bench", PrivateIpAddress: fmt.Sprintf("10.1.%d.%d", (i/3+4)/256, (i/3+4)%256)})
		}
		spec.TrafficMirrorSessions = append(spec.TrafficMirrorSessions, &cloudmock.TrafficMirrorSession{
			TrafficMirrorSessionId: fmt.Sprintf("tms-%017x", i+1), NetworkInterfaceId: eni,
			TrafficMirrorTargetId: tgt, TrafficMirrorFilterId: "tmf-00000000000000001", SessionNumber: i%3 + 1})
	}
	return spec
}

// sessionsServer is a server over sessionsSpec(n) whose Apply accepts
// every state.
func sessionsServer(b *testing.B, n int) *Server {
	b.Helper()
	s, err := New(Config{Spec: sessionsSpec(n), Seed: 1, Apply: func(cloudmock.Spec) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkOneChangeManySessions is one session change on an account of
// 10 and 10 000 traffic mirror sessions (AWS's quota is 10 000 per
// account; the account also holds an ENI per three sessions):
// CreateTrafficMirrorSession alternated with DeleteTrafficMirrorSession
// of the session just created (n-1 before the create), and
// ModifyTrafficMirrorSession of the middle session's description.
func BenchmarkOneChangeManySessions(b *testing.B) {
	b.Run("create-delete", func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
				create := "Action=CreateTrafficMirrorSession&Version=2016-11-15&NetworkInterfaceId=" + eniTest +
					"&TrafficMirrorTargetId=tmt-0000000000000000b&TrafficMirrorFilterId=tmf-00000000000000001&SessionNumber=1"
				benchCreateDelete(b, sessionsServer(b, n-1), create,
					"Action=DeleteTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=", sessionIDInAnswer)
			})
		}
	})
	b.Run("modify", func(b *testing.B) {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
				s := sessionsServer(b, n)
				i := 0
				for b.Loop() {
					form := fmt.Sprintf("Action=ModifyTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=tms-%017x&Description=d%d", n/2+1, i%2)
					if rec := serveForm(s, form); rec.Code != 200 {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
					i++
				}
			})
		}
	})
}
