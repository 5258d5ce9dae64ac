package cloudmock

import "testing"

func TestWithStateFromCarriesCounters(t *testing.T) {
	old := mustNew(t, walkthroughSpec())
	in := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	var d Decision
	old.DecideInto(&d, mustENI(t, old, "eni-web"), Ingress, in)
	if !d.Mirrored {
		t.Fatalf("not mirrored: %v", d)
	}
	old.CountMirrored(&d, len(in))

	// A new session on another ENI is added; ENIs are listed in another
	// order, so refs differ between the models.
	spec := walkthroughSpec()
	spec.NetworkInterfaces[0], spec.NetworkInterfaces[2] = spec.NetworkInterfaces[2], spec.NetworkInterfaces[0]
	spec.TrafficMirrorSessions = append(spec.TrafficMirrorSessions, &TrafficMirrorSession{
		TrafficMirrorSessionId: "tms-test", NetworkInterfaceId: "eni-test",
		TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: 1})
	m := mustNew(t, spec, WithStateFrom(old))

	// A packet still handled with the old model after the swap counts too.
	old.CountMirrored(&d, len(in))
	m.DecideInto(&d, mustENI(t, m, "eni-web"), Ingress, in)
	m.CountMirrored(&d, len(in))

	snap := m.Snapshot()
	if got := snap.ENIs["eni-web"].NetworkPacketsMirrorIn; got != 3 {
		t.Errorf("eni-web NetworkPacketsMirrorIn = %d, want 3 (counted before, across and after the swap)", got)
	}
	if got := snap.Sessions["tms-web"].Packets; got != 3 {
		t.Errorf("tms-web Packets = %d, want 3", got)
	}
	if got := snap.Sessions["tms-test"].Packets; got != 0 {
		t.Errorf("new session tms-test starts at %d, want 0", got)
	}
	if got := snap.ENIs["eni-test"].NetworkPacketsMirrorIn; got != 0 {
		t.Errorf("eni-test starts at %d, want 0", got)
	}
}

func TestWithStateFromKeepsAssignedVNI(t *testing.T) {
	spec := walkthroughSpec()
	spec.TrafficMirrorSessions[0].VirtualNetworkId = nil
	old := mustNew(t, spec)
	v, _ := old.SessionVNI("tms-web")
	for i := range 20 {
		m := mustNew(t, spec, WithStateFrom(old), WithSeed(uint64(i)))
		if got, _ := m.SessionVNI("tms-web"); got != v {
			t.Fatalf("VNI after swap %d = %d, want the assigned %d", i, got, v)
		}
	}
	// Another session now claims the VNI explicitly: the carried-over
	// session gets a new one, as VNIs are unique.
	spec.TrafficMirrorSessions = append(spec.TrafficMirrorSessions, &TrafficMirrorSession{
		TrafficMirrorSessionId: "tms-test", NetworkInterfaceId: "eni-test",
		TrafficMirrorTargetId: "tmt-adapter", TrafficMirrorFilterId: "tmf-web", SessionNumber: 1,
		VirtualNetworkId: new(int(v))})
	m := mustNew(t, spec, WithStateFrom(old))
	if got, _ := m.SessionVNI("tms-web"); got == v {
		t.Errorf("tms-web kept VNI %d although tms-test claims it", v)
	}
}

func TestWithStateFromKeepsFlowTable(t *testing.T) {
	old := mustNew(t, walkthroughSpec())
	web := mustENI(t, old, "eni-web")
	// sg-web allows all egress: the outbound flow is recorded, so its reply
	// (inbound from port 22, which sg-web does not open) passes.
	out := frame(t, tcp("10.0.0.5", "203.0.113.9", 40000, 22))
	reply := frame(t, tcp("203.0.113.9", "10.0.0.5", 22, 40000))
	var d Decision
	old.DecideInto(&d, web, Egress, out)
	m := mustNew(t, walkthroughSpec(), WithStateFrom(old))
	m.DecideInto(&d, mustENI(t, m, "eni-web"), Ingress, reply)
	if d.Reason == ReasonSourceSG {
		t.Errorf("reply of a flow allowed before the swap dropped by the source SG after it: %v", d)
	}
	fresh := mustNew(t, walkthroughSpec())
	fresh.DecideInto(&d, mustENI(t, fresh, "eni-web"), Ingress, reply)
	if d.Reason != ReasonSourceSG {
		t.Errorf("control: unsolicited reply on a fresh model: %v, want dropped by the source SG", d)
	}
}

func TestWithStateFromKeepsTargetHealth(t *testing.T) {
	old := mustNew(t, nlbSpec(true))
	if err := old.SetTargetHealth("arn:nlb", "eni-agent2", false); err != nil {
		t.Fatal(err)
	}
	// eni-agent3 is deregistered, and re-registered in the next swap: it
	// starts healthy again, as a new registration does.
	if err := old.SetTargetHealth("arn:nlb", "eni-agent3", false); err != nil {
		t.Fatal(err)
	}
	spec := nlbSpec(true)
	spec.LoadBalancers[0].Targets = spec.LoadBalancers[0].Targets[:2]
	mid := mustNew(t, spec, WithStateFrom(old))
	m := mustNew(t, nlbSpec(true), WithStateFrom(mid))
	for eni, want := range map[string]bool{"eni-agent1": true, "eni-agent2": false, "eni-agent3": true} {
		got, err := m.TargetHealth("arn:nlb", eni)
		if err != nil || got != want {
			t.Errorf("TargetHealth(%s) = %v, %v; want %v", eni, got, err, want)
		}
	}
	// Health set through the new model is seen by a packet still handled
	// with the old one.
	if err := m.SetTargetHealth("arn:nlb", "eni-agent1", false); err != nil {
		t.Fatal(err)
	}
	if got, _ := old.TargetHealth("arn:nlb", "eni-agent1"); got {
		t.Errorf("old model does not see the health set through the new one")
	}
}

func TestSessionTarget(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	if got, ok := m.SessionTarget("tms-web"); !ok || got != "tmt-adapter" {
		t.Fatalf("SessionTarget(tms-web) = %q %v, want tmt-adapter", got, ok)
	}
	if got, ok := m.SessionTarget("tms-none"); ok || got != "" {
		t.Fatalf("SessionTarget(tms-none) = %q %v, want none", got, ok)
	}
}
