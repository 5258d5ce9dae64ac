package spec

import (
	"fmt"
	"net/netip"
	"strings"

	"gopkg.in/yaml.v3"
)

// Traffic is one traffic step, run in file order: a name, the instance it
// runs from, and exactly one kind, written as the kind's key (http:, udp:,
// …) with its fields.
type Traffic struct {
	Name string `yaml:"name"`
	// From is the instance that sends (not used by replay).
	From string `yaml:"from"`
	// Step is the kind's own value (*HTTPLoad, *UDPSend, …); nil when the
	// step has no kind.
	Step TrafficKind `yaml:"-"`
	// AllowFailure lets a command, or senders whose packets are blocked, fail
	// without failing the run.
	AllowFailure bool `yaml:"allowFailure"`

	kindOf
}

// TrafficKind is one kind of traffic step. Each is one type in one file
// (traffic_<kind>.go) holding its fields, its validation and its
// description, and one row of trafficKinds; the runner runs it and explain
// follows its packets. The set is closed.
type TrafficKind interface {
	// check validates the kind's fields against the scenario.
	check(k *kindCheck)
	// describe is where the step's traffic goes, sent from instance from.
	describe(from string) string
}

// trafficKinds is every kind of traffic step, by its key.
var trafficKinds = kindTable[TrafficKind]{
	{"http", func() TrafficKind { return &HTTPLoad{} }},
	{"tcp", func() TrafficKind { return &TCPSend{} }},
	{"udp", func() TrafficKind { return &UDPSend{} }},
	{"icmp", func() TrafficKind { return &ICMPEcho{} }},
	{"replay", func() TrafficKind { return &Replay{} }},
	{"command", func() TrafficKind { return &Command{} }},
}

// UnmarshalYAML decodes a traffic step strictly, its kind into its own
// type (see decodeOneOf).
func (t *Traffic) UnmarshalYAML(n *yaml.Node) error {
	var err error
	t.Step, t.kindOf, err = decodeOneOf(n, "spec.Traffic", map[string]any{"name": &t.Name, "from": &t.From, "allowFailure": &t.AllowFailure}, trafficKinds.lookup)
	return err
}

// Kind names the step's kind (http, udp, …).
func (t *Traffic) Kind() string { return t.key }

// Describe says where the step's traffic goes ("client -> web").
func (t *Traffic) Describe() string {
	if t.Step == nil {
		return t.From
	}
	return t.Step.describe(t.From)
}

// StepName is the traffic step's name in reports: its own, or
// traffic[i] for the i-th step.
func (t Traffic) StepName(i int) string {
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("traffic[%d]", i)
}

func (s *Scenario) checkTraffic(c *problems) {
	keys := strings.Join(trafficKinds.keys(), ", ")
	for i, t := range s.Traffic {
		p := fmt.Sprintf("traffic[%d]", i)
		c.checkOneOf(t.decodeErrs, func(tc *problems) {
			if t.kinds != 1 || t.Step == nil {
				tc.at(p, "a traffic step needs exactly one of %s (it has %d)", keys, t.kinds)
				return
			}
			if _, replay := t.Step.(*Replay); !replay {
				if _, ok := s.refs.instances[t.From]; !ok && t.From == "" {
					tc.at(p, "missing from: the instance that sends")
				} else if !ok {
					tc.at(p+".from", "no instance named %q", t.From)
				}
			}
			t.Step.check(&kindCheck{s: s, c: tc, kp: p + "." + t.key})
		})
	}
}

// Sender sends TCP, UDP or ICMP packets (TCPSend, UDPSend, ICMPEcho).
type Sender struct {
	To   string `yaml:"to"`
	Port int    `yaml:"port"` // TCP/UDP destination port
	// SourcePort for UDP (default: any).
	SourcePort int `yaml:"sourcePort"`
	Count      int `yaml:"count"` // default 1
	// Size of each payload in bytes (default 64); Payload overrides it.
	Size    int     `yaml:"size"`
	Payload string  `yaml:"payload"`
	Rate    float64 `yaml:"rate"` // packets (or connections) per second; 0: no pacing
}

func (snd *Sender) check(k *kindCheck, ports bool) {
	k.to("to", snd.To)
	if ports && !validPort(snd.Port) {
		k.at("port", "port %d out of range 1-65535", snd.Port)
	}
	if !ports && snd.Port != 0 {
		k.at("port", "icmp has no ports")
	}
	if snd.SourcePort != 0 && !validPort(snd.SourcePort) {
		k.at("sourcePort", "port %d out of range 1-65535", snd.SourcePort)
	}
	if snd.Count < 0 || snd.Size < 0 || snd.Size > 65000 || snd.Rate < 0 {
		k.at("", "count, size (<= 65000) and rate must be in range")
	}
}

func (snd *Sender) describe(from string) string { return fmt.Sprintf("%s -> %s", from, snd.To) }

// to checks a traffic destination: an IP address, or the name of an
// instance, network interface or load balancer.
func (k *kindCheck) to(key, to string) {
	if to == "" {
		k.at(key, "missing to: an instance, network interface, load balancer or IP address")
		return
	}
	if _, err := netip.ParseAddr(to); err == nil {
		return
	}
	if _, ok := k.s.refs.eniOrInstance(to); ok {
		return
	}
	if _, ok := k.s.refs.lbs[to]; ok {
		return
	}
	k.at(key, "%q is not an IP address nor an instance, network interface or load balancer", to)
}
