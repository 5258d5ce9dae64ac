package scenarios_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/explain"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

// TestScenarios runs the default scenario and the whole library on the
// emulated VPC (root needed; see internal/privtest).
func TestScenarios(t *testing.T) {
	privtest.Require(t)
	RegisterFailHandler(Fail)
	RunSpecs(t, "Scenarios")
}

// run runs a scenario and returns its result with the summary, for failure
// messages.
func run(ctx context.Context, s *spec.Scenario, opts runner.Options) (*report.Result, string) {
	r := runner.Run(ctx, s, opts)
	var b strings.Builder
	report.WriteSummary(&b, r)
	return r, b.String()
}

func load(name string) *spec.Scenario {
	s, err := scenarios.Load(name)
	Expect(err).NotTo(HaveOccurred())
	return s
}

func verdict(r *report.Result, name string) report.Verdict {
	for _, v := range r.Expectations {
		if v.Name == name {
			return v
		}
	}
	Fail("no verdict named " + name)
	return report.Verdict{}
}

var _ = Describe("the default scenario (the reference walk-through)", Label("privileged"), func() {
	It("gives the test server the same requests as production", func(ctx SpecContext) {
		var (
			mu   sync.Mutex
			live []runner.Live
		)
		opts := runner.Options{Live: func(l runner.Live) { mu.Lock(); live = append(live, l); mu.Unlock() }}
		r, sum := run(ctx, load(""), opts)
		Expect(r.Error).To(BeEmpty(), sum)
		Expect(r.Passed).To(BeTrue(), sum)
		// the timeline has every phase, in order, one after the other
		var names []string
		for i, p := range r.Timeline {
			names = append(names, p.Name)
			Expect(p.End).NotTo(BeTemporally("<", p.Start), p.Name)
			if i > 0 {
				Expect(p.Start).NotTo(BeTemporally("<", r.Timeline[i-1].End), p.Name)
			}
		}
		Expect(names).To(Equal([]string{report.PhaseBuild, report.PhaseDataPlane, report.PhasePrograms,
			report.PhaseTraffic, report.PhaseSettle, report.PhaseCollect, report.PhaseTeardown}))
		// the progress display heard of the traffic step while it ran (100
		// requests at 50/s: about 2 s, so several ticks) and its last word
		// counts what the agent replayed by then
		mu.Lock()
		Expect(len(live)).To(BeNumerically(">=", 3))
		last := live[len(live)-1]
		mu.Unlock()
		Expect(last.Step).To(Equal("web-load"))
		Expect(last.Mirrored).To(BeNumerically(">=", 100))
		Expect(last.Replayed).To(BeNumerically(">", 0))
		Expect(r.Comparisons).To(HaveLen(1))
		c := r.Comparisons[0]
		Expect(c.Matched).To(Equal(100), sum)
		Expect(c.UnexpectedN).To(BeZero(), sum)
		Expect(r.Sessions).To(HaveLen(1))
		Expect(r.Sessions[0].VNI).To(Equal(uint32(1)))
		// what the adapter's interface really received matches what the
		// mirror service says it delivered
		Expect(r.Arrivals).To(HaveLen(1))
		Expect(r.Arrivals[0].ByVNI[1]).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
	}, SpecTimeout(time.Minute))

	It("fails when an expectation does not hold", func(ctx SpecContext) {
		src := strings.Replace(string(scenarios.Default()), "requests: {program: production, equals: 100}", "requests: {program: production, equals: 101}", 1)
		s, err := spec.Parse("default-broken.yaml", []byte(src))
		Expect(err).NotTo(HaveOccurred())
		r, sum := run(ctx, s, runner.Options{})
		Expect(r.Passed).To(BeFalse(), sum)
		v := verdict(r, "production served every request")
		Expect(v.Passed).To(BeFalse())
		Expect(v.Observed).To(Equal("100"))
	}, SpecTimeout(time.Minute))

	It("tears the lab down when interrupted", func(ctx SpecContext) {
		stateDir := GinkgoT().TempDir()
		// interrupted once traffic runs, so the lab is up whatever the
		// machine's load (a fixed timer fired before the lab existed)
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		r, sum := run(rctx, load(""), runner.Options{StateDir: stateDir, Live: func(runner.Live) { cancel() }})
		Expect(r.Passed).To(BeFalse(), sum)
		Expect(r.Error).To(ContainSubstring("interrupted"), sum)
		Expect(r.RunID).NotTo(BeEmpty())
		left, err := filepath.Glob("/run/netns/ml" + r.RunID + "-*")
		Expect(err).NotTo(HaveOccurred())
		Expect(left).To(BeEmpty(), "namespaces left behind")
	}, SpecTimeout(time.Minute))
})

// libraryChecks are the assertions beyond "passed" that each library
// scenario must meet.
var libraryChecks = map[string]func(r *report.Result, sum string){
	"nlb-no-listener.yaml": func(r *report.Result, sum string) {
		Expect(r.Losses).To(ContainElement(ContainSubstring("no-udp-4789-listener")), sum)
	},
	"nacl-blocks-vxlan.yaml": func(r *report.Result, sum string) {
		Expect(r.Losses).To(ContainElement(ContainSubstring("dropped-by-target-nacl")), sum)
	},
	"sg-blocks-vxlan.yaml": func(r *report.Result, sum string) {
		Expect(r.Losses).To(ContainElement(ContainSubstring("dropped-by-target-sg")), sum)
	},
	"quota-violation.yaml": func(r *report.Result, sum string) {
		Expect(r.Validation).To(HaveLen(1), sum)
		Expect(r.Validation[0].Code).To(Equal("TrafficMirrorSessionLimitExceeded"))
		Expect(r.Validation[0].Line).To(BeNumerically(">", 0))
		Expect(r.Programs).To(BeEmpty(), "a refused configuration builds nothing")
	},
	"nlb-two-agents.yaml": func(r *report.Result, sum string) {
		Expect(r.Arrivals).To(HaveLen(2))
		Expect(r.Arrivals[0].Total+r.Arrivals[1].Total).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
		expectFlowsStick(r, sum)
	},
	"gwlb-two-appliances.yaml": func(r *report.Result, sum string) {
		// every copy reached an appliance in GENEVE, both got some
		Expect(r.Arrivals).To(HaveLen(2))
		for _, a := range r.Arrivals {
			Expect(a.Geneve).To(BeNumerically(">", 0), sum)
			Expect(a.Geneve).To(Equal(a.Total), sum)
		}
		Expect(r.Arrivals[0].Geneve+r.Arrivals[1].Geneve).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
		expectFlowsStick(r, sum)
	},
	"gwlb-unhealthy-appliance.yaml": func(r *report.Result, sum string) {
		Expect(r.Arrivals).To(HaveLen(2))
		Expect(r.Arrivals[0].Geneve).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
		Expect(r.Arrivals[1].Total).To(BeZero(), sum)
	},
	"gwlb-truncation.yaml": func(r *report.Result, sum string) {
		Expect(r.Arrivals).To(HaveLen(1))
		Expect(r.Arrivals[0].Geneve).To(BeNumerically("==", 20), sum)
		Expect(r.Arrivals[0].MaxInner).To(Equal(8446+14), sum)
	},
	"gwlb-truncation-ipv6.yaml": func(r *report.Result, sum string) {
		// the copy reached the dual-stack endpoint over IPv6: 74 reserved
		Expect(r.Arrivals).To(HaveLen(1))
		Expect(r.Arrivals[0].Geneve).To(BeNumerically("==", 20), sum)
		Expect(r.Arrivals[0].IPv6).To(Equal(r.Arrivals[0].Geneve), sum)
		Expect(r.Arrivals[0].MaxInner).To(Equal(8426+14), sum)
	},
	"nlb-ipv6.yaml": func(r *report.Result, sum string) {
		// every delivered copy arrived, over IPv6, at one of the targets
		Expect(r.Arrivals).To(HaveLen(2))
		Expect(r.Arrivals[0].IPv6+r.Arrivals[1].IPv6).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
		Expect(r.Arrivals[0].Total+r.Arrivals[1].Total).To(BeNumerically("==", 40), sum)
	},
	"vni.yaml": func(r *report.Result, sum string) {
		// explain predicts the VNIs the run used, assigned ones included
		rep, err := explain.Explain(load("vni"), explain.Options{})
		Expect(err).NotTo(HaveOccurred())
		for _, ss := range r.Sessions {
			Expect(rep.VNIs[ss.Name]).To(Equal(ss.VNI), sum)
			Expect(r.Arrivals[0].ByVNI[ss.VNI]).To(BeNumerically(">", 0), sum)
		}
	},
	"shadow-noise.yaml": func(r *report.Result, sum string) {
		st := r.Programs[2].Compare
		Expect(st).NotTo(BeNil(), sum)
		Expect(st.Different).To(BeZero(), sum)
		Expect(st.Noise).To(BeNumerically(">=", 50), sum)
		Expect(st.Endpoints[0].NoiseFields).To(ContainElement("body .ts"), sum)
	},
	"shadow-baseline.yaml": func(r *report.Result, sum string) {
		// Only the baseline can show servedBy is noise: production never
		// contradicts itself on it, and is not learned from anyway.
		st := r.Programs[3].Compare
		Expect(st).NotTo(BeNil(), sum)
		Expect(st.LearnKept).To(BeZero(), sum)
		Expect(r.Programs[1].Requests).To(Equal(100), "the baseline got every request: "+sum)
		for _, e := range st.Endpoints {
			Expect(e.NoiseFields).To(ContainElements("body .servedBy", "body .ts"), sum)
			if e.Endpoint == "GET /api/items/{id}" {
				Expect(e.Fields).To(HaveLen(1), sum)
				Expect(e.Fields[0].Field).To(Equal("body .stock"), sum)
				continue
			}
			Expect(e.Different).To(BeZero(), sum)
		}
	},
	"central-inspection.yaml": func(r *report.Result, sum string) {
		// both application VPCs' copies crossed their peerings: each VNI
		// arrived, and everything delivered was captured at the agents
		Expect(r.Arrivals).To(HaveLen(2), sum)
		var total int64
		byVNI := map[uint32]int64{}
		for _, a := range r.Arrivals {
			total += a.Total
			for v, n := range a.ByVNI {
				byVNI[v] += n
			}
		}
		Expect(byVNI[101]).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
		Expect(byVNI[102]).To(BeNumerically("==", r.Sessions[1].Delivery["delivered"]), sum)
		Expect(total).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]+r.Sessions[1].Delivery["delivered"]), sum)
	},
	"central-inspection-tgw.yaml": func(r *report.Result, sum string) {
		// every copy delivered through the transit gateway was captured
		// at the collector, with its session's VNI
		Expect(r.Arrivals).To(HaveLen(1), sum)
		Expect(r.Arrivals[0].ByVNI[201]).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
		Expect(r.Arrivals[0].ByVNI[202]).To(BeNumerically("==", r.Sessions[1].Delivery["delivered"]), sum)
	},
	"inspection-no-route.yaml": func(r *report.Result, sum string) {
		Expect(r.Losses).To(ContainElement(ContainSubstring("no-route-to-target")), sum)
	},
	"ipv6-outer-74.yaml": func(r *report.Result, sum string) {
		// over IPv6 the whole way to collector6, 74 bytes under its MTU;
		// over IPv4 to collector4, 54
		Expect(r.Arrivals).To(HaveLen(2), sum)
		for _, a := range r.Arrivals {
			switch a.ENI {
			case "collector6-eni":
				Expect(a.IPv6).To(Equal(a.Total), sum)
				Expect(a.MaxInner).To(Equal(1500-74+14), sum)
			default:
				Expect(a.IPv6).To(BeZero(), sum)
				Expect(a.MaxInner).To(Equal(1500-54+14), sum)
			}
		}
	},
	"ipv6-dual-stack.yaml": func(r *report.Result, sum string) {
		// every copy the model delivered arrived, over IPv6
		Expect(r.Arrivals).To(HaveLen(1), sum)
		Expect(r.Arrivals[0].IPv6).To(Equal(r.Arrivals[0].Total), sum)
		Expect(r.Arrivals[0].Total).To(BeNumerically("==", r.Sessions[0].Delivery["delivered"]), sum)
	},
	"third-party-tcpdump.yaml": func(r *report.Result, sum string) {
		Expect(r.Programs[1].Kind).To(Equal("command"))
	},
}

// expectFlowsStick: the two receivers of a load balancer each got flows,
// and no inner flow (connection) arrived at both.
func expectFlowsStick(r *report.Result, sum string) {
	one, two := r.Arrivals[0].Flows(), r.Arrivals[1].Flows()
	Expect(one).NotTo(BeEmpty(), sum)
	Expect(two).NotTo(BeEmpty(), sum)
	for _, f := range one {
		Expect(two).NotTo(ContainElement(f), "flow %s arrived at both receivers\n%s", f, sum)
	}
}

// libraryFailures are the library scenarios whose check catches a
// regression on purpose (shouldFail): each asserts that the check failed
// for that reason, while the run as a whole passes.
var libraryFailures = map[string]func(r *report.Result, sum string){
	"shadow-regression.yaml": func(r *report.Result, sum string) {
		v := verdict(r, "the test server answered as production did")
		Expect(v.Passed).To(BeTrue(), sum)
		Expect(v.Detail).To(HavePrefix("failed, as it should:"), sum)
		Expect(v.Detail).To(ContainSubstring("POST /api/orders: 25 of 25 different (status"), sum)
		Expect(v.Detail).To(ContainSubstring("GET /api/user/{id}: 25 of 25 different (body .name"), sum)
		Expect(v.Detail).NotTo(ContainSubstring("/api/items"), sum)
	},
	"shadow-slower.yaml": func(r *report.Result, sum string) {
		v := verdict(r, "the test server is not slower")
		Expect(v.Passed).To(BeTrue(), sum)
		Expect(v.Detail).To(HavePrefix("failed, as it should:"), sum)
		Expect(verdict(r, "the test server answered as production did").Passed).To(BeTrue(), sum)
	},
}

var _ = Describe("the scenario library", Label("privileged"), func() {
	lib, names := scenarios.Library()
	for _, name := range names {
		It("runs "+name, func(ctx SpecContext) {
			s, err := spec.Parse("library/"+name, lib[name])
			Expect(err).NotTo(HaveOccurred())
			r, sum := run(ctx, s, runner.Options{})
			Expect(r.Error).To(BeEmpty(), sum)
			Expect(r.Passed).To(BeTrue(), sum)
			if check, ok := libraryFailures[name]; ok {
				check(r, sum)
				return
			}
			if check, ok := libraryChecks[name]; ok {
				check(r, sum)
			}
		}, SpecTimeout(time.Minute))
	}
})

var _ = Describe("pcap replay", Label("privileged"), func() {
	It("replays a capture into a source interface", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		Expect(writeUDPCapture(filepath.Join(dir, "in.pcap"), 12)).To(Succeed())
		file := filepath.Join(dir, "replay.yaml")
		Expect(os.WriteFile(file, []byte(replayScenario), 0o644)).To(Succeed())
		s, err := spec.Load(file)
		Expect(err).NotTo(HaveOccurred())
		r, sum := run(ctx, s, runner.Options{PcapDir: dir})
		Expect(r.Passed).To(BeTrue(), sum)
		Expect(r.PcapFiles).To(ContainElement(HaveSuffix("collector-target.pcapng")), sum)
	}, SpecTimeout(time.Minute))
})

var _ = Describe("the built-in senders", Label("privileged"), func() {
	It("send TCP, UDP and ICMP from an instance's namespace", func(ctx SpecContext) {
		s, err := spec.Parse("senders.yaml", []byte(sendersScenario))
		Expect(err).NotTo(HaveOccurred())
		r, sum := run(ctx, s, runner.Options{})
		Expect(r.Passed).To(BeTrue(), sum)
		for _, p := range r.Programs {
			if p.Name == "web-udp" {
				Expect(p.Datagrams).To(BeNumerically("==", 6), sum)
			}
		}
	}, SpecTimeout(time.Minute))
})
