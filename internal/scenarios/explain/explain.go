package explain

import (
	"cmp"
	"fmt"
	"net/netip"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Options adds to what a scenario says.
type Options struct {
	// Packet, when set, is explained instead of the scenario's traffic.
	Packet *Packet
	// ENI and Direction restrict the packet to one interface and direction
	// (default: egress at its source's interface and ingress at its
	// destination's).
	ENI       string
	Direction string
	// Hours and GB are the cost estimate's month: hours the sessions are on
	// (default 730) and GB mirrored (Alibaba charges per GB).
	Hours float64
	GB    float64
}

// Report is what explain found.
type Report struct {
	Scenario        string `json:"scenario"`
	File            string `json:"file"`
	Provider        string `json:"provider"`
	RejectBehaviour string `json:"rejectBehaviour"`
	// Problems are the provider's validation problems; ProblemsExpected says
	// the scenario expects them (a validationError expectation).
	Problems         spec.Problems     `json:"problems,omitempty"`
	ProblemsExpected bool              `json:"problemsExpected,omitempty"`
	VNIs             map[string]uint32 `json:"vnis,omitempty"`
	Flows            []Flow            `json:"flows"`
	// Comparisons are the sameResponses expectations' shadow testing.
	Comparisons     []Comparison    `json:"comparisons,omitempty"`
	Cost            *cloudmock.Cost `json:"cost,omitempty"`
	CostHours       float64         `json:"costHours"`
	CostGB          float64         `json:"costGB"`
	PricePerGB      float64         `json:"pricePerGB"`
	PricePerENIHour float64         `json:"pricePerENIHour"`
}

// Flow is one traffic step (or the packet given), with what happens to its
// packets at each interface they pass.
type Flow struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Path string `json:"path"` // client -> web, …
	Note string `json:"note,omitempty"`
	Hops []Hop  `json:"hops,omitempty"`
	// Summary counts a replay's frames by outcome.
	Summary map[string]int `json:"summary,omitempty"`
}

// Hop is one packet at one interface.
type Hop struct {
	Packet        string `json:"packet"` // request, reply, …
	Flow          string `json:"flow"`
	Bytes         int    `json:"bytes"`
	ENI           string `json:"eni"`
	Direction     string `json:"direction"`
	Mirrored      bool   `json:"mirrored"`
	Reason        string `json:"reason"`
	Session       string `json:"session,omitempty"`
	SessionNumber int    `json:"sessionNumber,omitempty"`
	Rule          int    `json:"rule,omitempty"`
	Target        string `json:"target,omitempty"`
	VNI           uint32 `json:"vni,omitempty"`
	InnerBytes    int    `json:"innerBytes,omitempty"`
	Truncated     bool   `json:"truncated,omitempty"`
	// TruncatedBy is the rule that cut the copy, with its figures.
	TruncatedBy string `json:"truncatedBy,omitempty"`
	// OuterFamily is "ipv4" or "ipv6": how the copy travels (over IPv6
	// when both ends have a primary IPv6 address, a dual-stack load
	// balancer's IPv6 address counting as one; 74 bytes are then reserved
	// under the target's MTU instead of 54).
	OuterFamily string `json:"outerFamily,omitempty"`
	Delivered   bool   `json:"delivered,omitempty"`
	Delivery    string `json:"delivery,omitempty"`
	// Via is the VPC peering connection a copy to another VPC crosses.
	Via string `json:"via,omitempty"`
	// Text is the model's own one-line explanation (decision; delivery).
	Text string `json:"text"`
}

// Explain runs the scenario's traffic (or opts.Packet) through the model.
// s must have loaded without problems.
func Explain(s *spec.Scenario, opts Options) (*Report, error) {
	r := &Report{Scenario: s.Name, File: s.File, Provider: s.Profile.Provider, RejectBehaviour: s.Profile.RejectBehaviour}
	r.Provider = cmp.Or(r.Provider, "aws")
	r.RejectBehaviour = cmp.Or(r.RejectBehaviour, cloudmock.RejectStops.String())
	prof, err := cloudmock.LookupProfile(r.Provider)
	if err != nil {
		return nil, err
	}
	r.PricePerGB, r.PricePerENIHour = prof.PricePerGB, prof.PricePerENIHour
	r.ProblemsExpected = s.ExpectsRefusal()
	if ps := s.ModelProblems(); ps != nil {
		r.Problems = ps
		return r, nil
	}
	ms := s.Model()
	m, err := cloudmock.New(ms, cloudmock.WithSeed(s.Seed()))
	if err != nil {
		return nil, fmt.Errorf("build model: %w", err)
	}
	// Registered targets marked unhealthy get no copy, as in a run.
	for _, t := range s.UnhealthyTargets() {
		if err := m.SetTargetHealth(t.LoadBalancer, t.NetworkInterface, false); err != nil {
			return nil, fmt.Errorf("load balancer %s: %w", t.LoadBalancer, err)
		}
	}
	r.VNIs = map[string]uint32{}
	for _, ss := range s.Mirror.Sessions {
		r.VNIs[ss.TrafficMirrorSessionId], _ = m.SessionVNI(ss.TrafficMirrorSessionId)
	}
	if opts.Hours <= 0 {
		opts.Hours = 730
	}
	c := m.EstimateCost(opts.Hours, opts.GB)
	r.Cost, r.CostHours, r.CostGB = &c, opts.Hours, opts.GB

	r.Comparisons = comparisons(s)
	x := &explainer{s: s, m: m}
	if opts.Packet != nil {
		f, err := x.packet(*opts.Packet, opts.ENI, opts.Direction)
		if err != nil {
			return nil, err
		}
		r.Flows = []Flow{f}
		return r, nil
	}
	for i, t := range s.Traffic {
		r.Flows = append(r.Flows, x.traffic(i, t))
	}
	return r, nil
}

type explainer struct {
	s *spec.Scenario
	m *cloudmock.Model
}

// hop decides pkt at an interface (by address) in a direction; ok is false
// when the address is no interface of the model.
func (x *explainer) hop(label string, pkt Packet, at netip.Addr, dir cloudmock.Direction) (Hop, bool) {
	ref, ok := x.m.ENIByIP(at)
	if !ok {
		return Hop{}, false
	}
	return x.hopAt(label, pkt.frame(), pkt.String(), ref, dir), true
}

func (x *explainer) hopAt(label string, frame []byte, flow string, ref cloudmock.ENIRef, dir cloudmock.Direction) Hop {
	d := x.m.Decide(ref, dir, frame)
	h := Hop{
		Packet: label, Flow: flow, Bytes: len(frame), ENI: x.m.ENIID(ref), Direction: dir.String(),
		Mirrored: d.Mirrored, Reason: d.Reason.String(), Text: d.String(),
	}
	if d.SessionId != "" {
		h.Session, h.SessionNumber = d.SessionId, d.SessionNumber
	}
	if d.Reason == cloudmock.ReasonMirrored || d.Reason == cloudmock.ReasonRejected {
		h.Rule = d.RuleNumber
	}
	if d.Mirrored {
		h.Target, h.VNI = d.TargetId, d.VNI
		h.InnerBytes, h.Truncated = d.InnerLen(len(frame)), d.Truncated(len(frame))
		if h.Truncated {
			h.TruncatedBy = d.TruncationText()
		}
		h.OuterFamily = "ipv4"
		if d.Outer.Src.Is6() {
			h.OuterFamily = "ipv6"
		}
		dl := x.m.Deliver(&d)
		h.Delivered, h.Delivery, h.Via = dl.Delivered, dl.Reason.String(), dl.Via
		h.Text += "; " + dl.String()
	}
	return h
}

// conversation decides a packet at the sender's interface (egress) and the
// receiver's (ingress), then the replies the other way.
func (x *explainer) conversation(f *Flow, steps []step) {
	for _, st := range steps {
		if h, ok := x.hop(st.label, st.pkt, st.pkt.Src, cloudmock.Egress); ok {
			f.Hops = append(f.Hops, h)
		}
		if h, ok := x.hop(st.label, st.pkt, st.pkt.Dst, cloudmock.Ingress); ok {
			f.Hops = append(f.Hops, h)
		}
	}
}

type step struct {
	label string
	pkt   Packet
}

// ephemeral is the client port explain assumes.
const ephemeral = 49152

func (x *explainer) traffic(i int, t spec.Traffic) Flow {
	f := Flow{Name: t.Name}
	if f.Name == "" {
		f.Name = fmt.Sprintf("traffic[%d]", i)
	}
	from, _ := x.s.Addr(t.From)
	from6, _ := x.s.Addr6(t.From)
	srcFor := func(dst netip.Addr) netip.Addr {
		if dst.Is6() {
			return from6 // invalid when the sender has no IPv6 address: no hop there
		}
		return from
	}
	f.Kind, f.Path = t.Kind(), t.Describe()
	switch k := t.Step.(type) {
	case *spec.HTTPLoad:
		dst, _ := x.s.Addr(k.To)
		syn := Packet{Proto: 6, Src: srcFor(dst), Dst: dst, SrcPort: ephemeral, DstPort: uint16(k.PortOrDefault()), TCPFlags: flagSYN}
		req := syn
		req.TCPFlags, req.Payload = flagPSH|flagACK, requestSize(k)
		x.conversation(&f, []step{
			{"syn", syn}, {"syn-ack", syn.reply(0, flagSYN|flagACK)},
			{"request", req}, {"response", req.reply(120, flagPSH|flagACK)},
		})
	case *spec.TCPSend:
		p := x.datagram(&k.Sender, 6, srcFor)
		syn := p
		syn.TCPFlags, syn.Payload = flagSYN, 0
		p.TCPFlags = flagPSH | flagACK
		x.conversation(&f, []step{{"syn", syn}, {"syn-ack", syn.reply(0, flagSYN|flagACK)}, {"data", p}})
	case *spec.UDPSend:
		x.conversation(&f, []step{{"datagram", x.datagram(&k.Sender, 17, srcFor)}})
	case *spec.ICMPEcho:
		dst, _ := x.s.Addr(k.To)
		p := Packet{Proto: 1, Src: srcFor(dst), Dst: dst, DstPort: 8, Payload: payloadSize(&k.Sender)}
		if dst.Is6() {
			p.Proto, p.DstPort = 58, 128
		}
		x.conversation(&f, []step{{"echo request", p}, {"echo reply", p.reply(p.Payload, 0)}})
	case *spec.Replay:
		x.replay(&f, k)
	default:
		f.Note = "a command's traffic is not known before it runs; run the scenario to see it"
	}
	return f
}

// datagram is a tcp or udp sender's packet.
func (x *explainer) datagram(snd *spec.Sender, proto uint8, srcFor func(netip.Addr) netip.Addr) Packet {
	dst, _ := x.s.Addr(snd.To)
	sport := uint16(ephemeral)
	if snd.SourcePort != 0 {
		sport = uint16(snd.SourcePort)
	}
	return Packet{Proto: proto, Src: srcFor(dst), Dst: dst, SrcPort: sport, DstPort: uint16(snd.Port), Payload: payloadSize(snd)}
}

func requestSize(h *spec.HTTPLoad) int {
	body := 0
	for _, b := range h.Bodies {
		body = max(body, len(b))
	}
	return 80 + body // request line and a few headers
}

func payloadSize(s *spec.Sender) int {
	switch {
	case s.Payload != "":
		return len(s.Payload)
	case s.Size > 0:
		return s.Size
	}
	return 64
}

func (x *explainer) packet(p Packet, eni, dir string) (Flow, error) {
	f := Flow{Name: "packet", Kind: "packet", Path: p.String()}
	if eni == "" {
		x.conversation(&f, []step{{"packet", p}})
		if len(f.Hops) == 0 {
			f.Note = "neither address is an interface of the scenario"
		}
		return f, nil
	}
	ref, ok := x.m.ENI(eni)
	if !ok {
		return f, fmt.Errorf("no network interface named %q", eni)
	}
	d := cloudmock.Ingress
	switch dir {
	case "", "ingress":
	case "egress":
		d = cloudmock.Egress
	default:
		return f, fmt.Errorf("direction %q: want ingress or egress", dir)
	}
	f.Hops = append(f.Hops, x.hopAt("packet", p.frame(), p.String(), ref, d))
	return f, nil
}
