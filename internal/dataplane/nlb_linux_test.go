package dataplane

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// nlbSpec: web's ingress UDP to 9000 mirrored to a network load balancer
// whose registered targets are agent1 and agent2.
func nlbSpec(listener bool) cloudmock.Spec {
	spec := baseSpec()
	lb := cloudmock.LoadBalancer{LoadBalancerArn: "arn:nlb", Type: "network", SubnetId: "subnet-adapter",
		PrivateIpAddress: "10.0.0.24",
		Targets:          []cloudmock.TargetDescription{{NetworkInterfaceId: "eni-agent1"}, {NetworkInterfaceId: "eni-agent2"}}}
	if listener {
		lb.Listeners = []cloudmock.Listener{{Protocol: "UDP", Port: 4789}}
	}
	spec.LoadBalancers = []cloudmock.LoadBalancer{lb}
	spec.TrafficMirrorTargets = []*cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "tmt-nlb", NetworkLoadBalancerArn: "arn:nlb"}}
	addSession(&spec, "tms-nlb", "web", "nlb", 1, 42, cloudmock.TrafficMirrorFilter{
		IngressFilterRules: rules{rule(100, "accept", 17, 9000, 9000)},
	})
	return spec
}

// sendFlows sends per datagrams on each of n flows (client ports from
// base) to web:9000.
func sendFlows(t *testing.T, lab *sim.Lab, base, n, per int) {
	t.Helper()
	for i := 0; i < n; i++ {
		c := listenUDP(t, lab, "client", base+i)
		c.send(t, ap("10.0.0.5:9000"), []byte(fmt.Sprintf("flow %d", base+i)), per)
	}
}

// flowAgents maps each flow (inner client port) to the agents that
// received its copies.
func flowAgents(as []arrival) map[uint16]map[string]int {
	m := map[uint16]map[string]int{}
	for _, a := range as {
		if m[a.sport] == nil {
			m[a.sport] = map[string]int{}
		}
		m[a.sport][a.at]++
	}
	return m
}

// TestPrivilegedNLB: flows spread over the two agents, each flow sticks to
// one; once agent2's health check fails, new flows all go to agent1.
func TestPrivilegedNLB(t *testing.T) {
	lab := testLab(t)
	spec := nlbSpec(true)
	a1, a2 := newSink(t, lab, "agent1"), newSink(t, lab, "agent2")
	listenTCP(t, lab, "agent1", 8081)
	h2 := listenTCP(t, lab, "agent2", 8081)
	svc, _ := startService(t, lab, spec, func(c *Config) {
		// Generous for a loaded CI machine: a check that times out twice
		// would take a healthy agent out of rotation mid-test.
		c.HealthCheck = HealthCheck{Port: 8081, Interval: 150 * time.Millisecond, Timeout: 150 * time.Millisecond,
			HealthyThreshold: 2, UnhealthyThreshold: 3}
	})
	listenUDP(t, lab, "web", 9000).drain()

	const flows, per = 24, 3
	sendFlows(t, lab, 41000, flows, per)
	got := settle(flows*per, a1, a2)
	if len(got) != flows*per {
		t.Fatalf("agents received %d copies, want %d: %s", len(got), flows*per, dumpSnapshot(svc))
	}
	spread := map[string]int{}
	for port, agents := range flowAgents(got) {
		if len(agents) != 1 {
			t.Errorf("flow from client port %d went to several agents: %v", port, agents)
		}
		for a, n := range agents {
			spread[a]++
			if n != per {
				t.Errorf("flow %d: %d copies at %s, want %d", port, n, a, per)
			}
		}
	}
	if spread["agent1"] == 0 || spread["agent2"] == 0 {
		t.Fatalf("flows not spread over both agents: %v", spread)
	}
	for _, a := range got {
		if a.from.Addr() != netip.MustParseAddr("10.0.0.5") || a.vni != 42 {
			t.Errorf("copy from %s VNI %d, want from 10.0.0.5 with VNI 42", a.from, a.vni)
		}
	}
	t.Logf("flows per agent: %v", spread)

	// Stop agent2's health endpoint; wait for the checks to notice.
	h2.ln.Close()
	deadline := time.Now().Add(3 * time.Second)
	for !agentHealthy(svc, "eni-agent2", false) {
		if time.Now().After(deadline) {
			t.Fatalf("agent2 still healthy 3s after its health endpoint closed: %+v", svc.Snapshot().Health)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !agentHealthy(svc, "eni-agent1", true) {
		t.Fatalf("agent1 reported unhealthy: %+v", svc.Snapshot().Health)
	}
	a1.reset()
	a2.reset()
	sendFlows(t, lab, 42000, flows, 2)
	got = settle(flows*2, a1, a2)
	if len(got) != flows*2 {
		t.Fatalf("after agent2 failed: %d copies arrived, want %d:%s", len(got), flows*2, describe(got))
	}
	for _, a := range got {
		if a.at != "agent1" {
			t.Fatalf("a new flow (client port %d) went to %s after its health check failed", a.sport, a.at)
		}
	}
}

func agentHealthy(svc *Service, eni string, want bool) bool {
	for _, h := range svc.Snapshot().Health {
		if h.ENIId == eni {
			return h.Healthy == want
		}
	}
	return false
}

// TestPrivilegedNLBWithoutListener: a network load balancer without a UDP
// 4789 listener loses the copies silently (counted).
func TestPrivilegedNLBWithoutListener(t *testing.T) {
	lab := testLab(t)
	a1, a2 := newSink(t, lab, "agent1"), newSink(t, lab, "agent2")
	svc, _ := startService(t, lab, nlbSpec(false), nil)
	listenUDP(t, lab, "web", 9000).drain()
	sendFlows(t, lab, 43000, 4, 2)
	if got := settle(0, a1, a2); len(got) != 0 {
		t.Fatalf("copies arrived without a UDP 4789 listener:%s", describe(got))
	}
	if n := svc.Snapshot().Totals.Dropped["no_listener"]; n != 8 {
		t.Errorf("dropped as no_listener: %d, want 8", n)
	}
}

// TestPrivilegedNLBStartsFromModelHealth: a target the model already holds
// unhealthy when the service starts is not put back by the health checker
// before its checks pass, and gets no copies.
func TestPrivilegedNLBStartsFromModelHealth(t *testing.T) {
	lab := testLab(t)
	a1, a2 := newSink(t, lab, "agent1"), newSink(t, lab, "agent2")
	listenTCP(t, lab, "agent1", 8081) // agent2 has no health endpoint
	svc, _ := startService(t, lab, nlbSpec(true), func(c *Config) {
		if err := c.Model.SetTargetHealth("arn:nlb", "eni-agent2", false); err != nil {
			t.Fatal(err)
		}
		c.HealthCheck = HealthCheck{Port: 8081, Interval: 150 * time.Millisecond, Timeout: 150 * time.Millisecond,
			HealthyThreshold: 2, UnhealthyThreshold: 3}
	})
	if !agentHealthy(svc, "eni-agent2", false) || !agentHealthy(svc, "eni-agent1", true) {
		t.Fatalf("health at start: %+v, want agent2 unhealthy (as the model says), agent1 healthy", svc.Snapshot().Health)
	}
	listenUDP(t, lab, "web", 9000).drain()
	const flows, per = 8, 2
	sendFlows(t, lab, 44000, flows, per)
	got := settle(flows*per, a1, a2)
	if len(got) != flows*per {
		t.Fatalf("agents received %d copies, want %d: %s", len(got), flows*per, dumpSnapshot(svc))
	}
	for _, a := range got {
		if a.at != "agent1" {
			t.Fatalf("a copy reached %s, which the model held unhealthy: %s", a.at, describe(got))
		}
	}
}
