package cloudmock

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func TestCountersConcurrent(t *testing.T) {
	m := mustNew(t, walkthroughSpec())
	web := mustENI(t, m, "eni-web")
	in := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 80))
	ssh := frame(t, tcp("203.0.113.9", "10.0.0.5", 40000, 22))
	const workers, per = 4, 1000
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d Decision
			for i := range per {
				m.DecideInto(&d, web, Ingress, in)
				if i%4 == 0 {
					m.CountSkipped(&d, len(in))
				} else {
					m.CountMirrored(&d, len(in))
					dl := m.Deliver(&d)
					m.CountDelivery(&d, &dl)
				}
				m.DecideInto(&d, web, Ingress, ssh)
				m.CountNotMirrored(&d)
				m.CountMirrored(&d, len(ssh)) // ignored: not mirrored
			}
		}()
	}
	wg.Wait()
	snap := m.Snapshot()
	c := snap.ENIs["eni-web"]
	mirrored, skipped := uint64(workers*per*3/4), uint64(workers*per/4)
	if c.NetworkPacketsMirrorIn != mirrored || c.NetworkMirrorIn != mirrored*uint64(len(in)) {
		t.Errorf("mirror in: %d packets %d bytes, want %d packets", c.NetworkPacketsMirrorIn, c.NetworkMirrorIn, mirrored)
	}
	if c.NetworkPacketsSkipMirrorIn != skipped || c.NetworkSkipMirrorIn != skipped*uint64(len(in)) {
		t.Errorf("skip in: %d packets %d bytes, want %d packets", c.NetworkPacketsSkipMirrorIn, c.NetworkSkipMirrorIn, skipped)
	}
	if c.NetworkPacketsMirrorOut != 0 || c.NetworkPacketsSkipMirrorOut != 0 {
		t.Errorf("out counters moved: %+v", c)
	}
	if got := c.NotMirrored["dropped-by-source-sg"]; got != workers*per {
		t.Errorf("NotMirrored: %v", c.NotMirrored)
	}
	s := snap.Sessions["tms-web"]
	if s.Packets != mirrored || s.SkipPackets != skipped || s.Delivery["delivered"] != mirrored || s.Truncated != 0 {
		t.Errorf("session counters: %+v", s)
	}
	js, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"NetworkMirrorIn", "NetworkMirrorOut", "NetworkPacketsMirrorIn", "NetworkPacketsMirrorOut",
		"NetworkSkipMirrorIn", "NetworkSkipMirrorOut", "NetworkPacketsSkipMirrorIn", "NetworkPacketsSkipMirrorOut"} {
		if !strings.Contains(string(js), `"`+name+`":`) {
			t.Errorf("JSON lacks %s: %s", name, js)
		}
	}
	var back Snapshot
	if err := json.Unmarshal(js, &back); err != nil || back.ENIs["eni-web"].NetworkPacketsMirrorIn != mirrored {
		t.Errorf("JSON round trip: %v %+v", err, back.ENIs["eni-web"])
	}
}

func TestCountersEgressAndTruncated(t *testing.T) {
	s := walkthroughSpec()
	openAll(&s)
	s.TrafficMirrorSessions[0].PacketLength = new(64)
	m := mustNew(t, s)
	web := mustENI(t, m, "eni-web")
	p := tcp("10.0.0.5", "203.0.113.9", 80, 40000)
	p.PayloadLen = 100
	f := frame(t, p)
	d := m.Decide(web, Egress, f)
	m.CountMirrored(&d, len(f))
	m.CountSkipped(&d, len(f))
	snap := m.Snapshot()
	c := snap.ENIs["eni-web"]
	if c.NetworkPacketsMirrorOut != 1 || c.NetworkMirrorOut != uint64(len(f)) || c.NetworkPacketsSkipMirrorOut != 1 || c.NetworkPacketsMirrorIn != 0 {
		t.Errorf("egress counters: %+v", c)
	}
	if snap.Sessions["tms-web"].Truncated != 1 {
		t.Errorf("truncated: %+v", snap.Sessions["tms-web"])
	}
}

func TestCost(t *testing.T) {
	ali, _ := LookupProfile("alibaba")
	// Alibaba's published example: 5 ENIs mirrored 30 days x 24 h, 20 GB.
	c := ali.EstimateCost(CostInput{ENIs: 5, Hours: 30 * 24, GB: 20})
	if c.TotalUSD != 50.54 || c.ENIUSD != 50.40 || c.DataUSD != 0.14 || c.ENIHours != 3600 {
		t.Errorf("alibaba example: %+v, want 50.40 + 0.14 = 50.54 USD", c)
	}
	aws, _ := LookupProfile("aws")
	if c := aws.EstimateCost(CostInput{ENIs: 1, Hours: 720, GB: 1000}); c.TotalUSD != 10.80 || c.DataUSD != 0 {
		t.Errorf("aws: %+v, want 10.80 USD", c)
	}
	// The model counts its source ENIs.
	m := mustNew(t, walkthroughSpec())
	if c := m.EstimateCost(100, 0); c.TotalUSD != 1.50 {
		t.Errorf("model cost %+v, want 1.50 USD", c)
	}
}

func TestProfiles(t *testing.T) {
	aws, err := LookupProfile("")
	if err != nil || aws.Name != "aws" || aws.SessionsPerSource != 3 || aws.ReserveIPv4 != 54 || aws.ReserveIPv6 != 74 || !aws.IPv6 {
		t.Errorf("default profile: %+v %v", aws, err)
	}
	ali, err := LookupProfile("alibaba")
	if err != nil || ali.SessionsPerSource != 1 || ali.SourcesPerSession != 10 || ali.ReserveIPv4 != 50 || ali.IPv6 || ali.Truncation != TruncateSourceMTU {
		t.Errorf("alibaba profile: %+v %v", ali, err)
	}
	if _, err := LookupProfile("azure"); err == nil {
		t.Error("unknown profile accepted")
	}
	for in, want := range map[string]RejectBehavior{"": RejectStops, "reject-stops": RejectStops, "reject-falls-through": RejectFallsThrough} {
		if got, err := parseRejectBehavior(in); err != nil || got != want || (in != "" && got.String() != in) {
			t.Errorf("ParseRejectBehavior(%q) = %v, %v", in, got, err)
		}
	}
}
