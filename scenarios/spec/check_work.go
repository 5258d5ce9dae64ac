package spec

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mirrorlab/mirrorlab/scenarios/workload"
)

func (s *Scenario) checkPrograms(c *problems) {
	for i, pr := range s.Programs {
		p := fmt.Sprintf("programs[%d]", i)
		if _, ok := s.refs.instances[pr.Instance]; !ok {
			if pr.Instance == "" {
				c.at(p, "program %q has no instance", pr.Name)
			} else {
				c.at(p+".instance", "no instance named %q", pr.Instance)
			}
		}
		switch {
		case pr.Builtin != "" && len(pr.Command) > 0:
			c.at(p, "program %q has both builtin and command: give one", pr.Name)
		case pr.Builtin == "" && len(pr.Command) == 0:
			c.at(p, "program %q needs builtin (http-server, agent, udp-sink) or command", pr.Name)
		case pr.Builtin == BuiltinHTTPServer:
			if _, err := ParseHTTPServerArgs(pr.Args); err != nil {
				c.at(p+".args", "http-server: %v", err)
			}
		case pr.Builtin == BuiltinAgent:
			// its flags are checked by checkPlatform (the agent is Linux only)
		case pr.Builtin == BuiltinUDPSink:
			if _, err := workload.ParseSinkArgs(pr.Args); err != nil {
				c.at(p+".args", "udp-sink: %v", err)
			}
		case pr.Builtin != "":
			c.at(p+".builtin", "unknown builtin %q (want http-server, agent or udp-sink)", pr.Builtin)
		case len(pr.Args) > 0:
			c.at(p+".args", "args are for builtins; put a command's arguments in command")
		}
		if pr.Ready != nil && pr.Ready.TCPPort != 0 && !validPort(pr.Ready.TCPPort) {
			c.at(p+".ready.tcpPort", "port %d out of range 1-65535", pr.Ready.TCPPort)
		}
	}
}

func validPort(p int) bool { return p >= 1 && p <= 65535 }

func (s *Scenario) checkTraffic(c *problems) {
	for i, t := range s.Traffic {
		p := fmt.Sprintf("traffic[%d]", i)
		kinds := 0
		for _, set := range []bool{t.HTTP != nil, t.TCP != nil, t.UDP != nil, t.ICMP != nil, t.Replay != nil, len(t.Command) > 0} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			c.at(p, "a traffic step needs exactly one of http, tcp, udp, icmp, replay, command (it has %d)", kinds)
			continue
		}
		if t.Replay == nil {
			if _, ok := s.refs.instances[t.From]; !ok {
				if t.From == "" {
					c.at(p, "missing from: the instance that sends")
				} else {
					c.at(p+".from", "no instance named %q", t.From)
				}
			}
		}
		switch {
		case t.HTTP != nil:
			h := t.HTTP
			s.checkTo(c, p+".http.to", h.To)
			if h.Port != 0 && !validPort(h.Port) {
				c.at(p+".http.port", "port %d out of range 1-65535", h.Port)
			}
			if h.Rate < 0 || h.Count < 0 || h.Connections < 0 {
				c.at(p+".http", "rate, count and connections cannot be negative")
			}
			for j, m := range h.Methods {
				if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " /") {
					c.at(fmt.Sprintf("%s.http.methods[%d]", p, j), "method %q: want an upper-case token like GET", m)
				}
			}
			for j, path := range h.Paths {
				if !strings.HasPrefix(path, "/") {
					c.at(fmt.Sprintf("%s.http.paths[%d]", p, j), "path %q must start with /", path)
				}
			}
		case t.TCP != nil, t.UDP != nil:
			key, snd := "tcp", t.TCP
			if t.UDP != nil {
				key, snd = "udp", t.UDP
			}
			s.checkSender(c, p+"."+key, snd, true)
		case t.ICMP != nil:
			s.checkSender(c, p+".icmp", t.ICMP, false)
		case t.Replay != nil:
			rp := t.Replay
			if rp.File == "" {
				c.at(p+".replay", "missing file")
			}
			if _, ok := s.refs.enis[rp.NetworkInterface]; !ok {
				c.at(p+".replay.networkInterface", "no network interface named %q", rp.NetworkInterface)
			}
			if !oneOf(rp.Direction, "", "egress", "ingress") {
				c.at(p+".replay.direction", "direction %q: want egress or ingress", rp.Direction)
			}
		}
	}
}

func (s *Scenario) checkSender(c *problems, p string, snd *Sender, ports bool) {
	s.checkTo(c, p+".to", snd.To)
	if ports && !validPort(snd.Port) {
		c.at(p+".port", "port %d out of range 1-65535", snd.Port)
	}
	if !ports && snd.Port != 0 {
		c.at(p+".port", "icmp has no ports")
	}
	if snd.SourcePort != 0 && !validPort(snd.SourcePort) {
		c.at(p+".sourcePort", "port %d out of range 1-65535", snd.SourcePort)
	}
	if snd.Count < 0 || snd.Size < 0 || snd.Size > 65000 || snd.Rate < 0 {
		c.at(p, "count, size (<= 65000) and rate must be in range")
	}
}

// checkTo checks a traffic destination: an IP address, or the name of an
// instance, network interface or load balancer.
func (s *Scenario) checkTo(c *problems, path, to string) {
	if to == "" {
		c.at(path, "missing to: an instance, network interface, load balancer or IP address")
		return
	}
	if _, err := netip.ParseAddr(to); err == nil {
		return
	}
	if _, ok := s.refs.eniOrInstance(to); ok {
		return
	}
	if _, ok := s.refs.lbs[to]; ok {
		return
	}
	c.at(path, "%q is not an IP address nor an instance, network interface or load balancer", to)
}

func (s *Scenario) checkExpect(c *problems) {
	r := s.refs
	baselines := map[string]string{} // compare agent -> baseline program
	for i, e := range s.Expect {
		p := fmt.Sprintf("expect[%d]", i)
		kind, n := e.kind()
		if n != 1 {
			c.at(p, "an expectation needs exactly one kind (mirrored, notMirrored, arrived, truncated, delivered, dropped, requests, sameRequests, sameResponses, responseLatency, metric, output, traffic, validationError); it has %d", n)
			continue
		}
		kp := p + "." + kind
		need := func(key, name string, ok bool, what string) {
			if name == "" {
				c.at(kp, "missing %s", key)
			} else if !ok {
				c.at(kp+"."+key, "no %s named %q", what, name)
			}
		}
		opt := func(key, name string, ok bool, what string) {
			if name != "" && !ok {
				c.at(kp+"."+key, "no %s named %q", what, name)
			}
		}
		var cnt *Count
		switch {
		case e.Mirrored != nil || e.Truncated != nil:
			m := e.Mirrored
			if m == nil {
				m = e.Truncated
			}
			_, okS := r.sessions[m.Session]
			_, okT := r.targets[m.Target]
			_, okE := r.enis[m.NetworkInterface]
			opt("session", m.Session, okS, "mirror session")
			opt("target", m.Target, okT, "mirror target")
			opt("networkInterface", m.NetworkInterface, okE, "network interface")
			if !oneOf(m.Direction, "", "ingress", "egress") {
				c.at(kp+".direction", "direction %q: want ingress or egress", m.Direction)
			} else if m.Direction != "" && m.NetworkInterface == "" {
				c.at(kp+".direction", "direction needs networkInterface")
			}
			cnt = &m.Count
		case e.NotMirrored != nil:
			_, ok := r.enis[e.NotMirrored.NetworkInterface]
			need("networkInterface", e.NotMirrored.NetworkInterface, ok, "network interface")
			cnt = &e.NotMirrored.Count
		case e.Arrived != nil:
			_, ok := r.enis[e.Arrived.NetworkInterface]
			need("networkInterface", e.Arrived.NetworkInterface, ok, "network interface")
			checkCount(c, kp+".innerBytes", e.Arrived.InnerBytes)
			if f := e.Arrived.OuterFamily; f != "" && f != "ipv4" && f != "ipv6" {
				c.at(kp+".outerFamily", "outerFamily %q: want ipv4 or ipv6", f)
			}
			cnt = &e.Arrived.Count
		case e.Delivered != nil:
			_, ok := r.targets[e.Delivered.Target]
			need("target", e.Delivered.Target, ok, "mirror target")
			cnt = &e.Delivered.Count
		case e.Dropped != nil:
			_, ok := r.targets[e.Dropped.Target]
			opt("target", e.Dropped.Target, ok, "mirror target")
			if !oneOf(e.Dropped.By, append([]string{""}, DropCauses...)...) {
				c.at(kp+".by", "by %q: want one of %s", e.Dropped.By, strings.Join(DropCauses, ", "))
			}
			cnt = &e.Dropped.Count
		case e.Requests != nil:
			s.needServer(c, kp+".program", e.Requests.Program)
			cnt = &e.Requests.Count
		case e.SameRequests != nil:
			sr := e.SameRequests
			s.needServer(c, kp+".production", sr.Production)
			s.needServer(c, kp+".test", sr.Test)
			if sr.Completeness < 0 || sr.Completeness > 1 {
				c.at(kp+".completeness", "completeness %v: want 0..1", sr.Completeness)
			}
		case e.SameResponses != nil:
			sr := e.SameResponses
			s.needServer(c, kp+".production", sr.Production)
			s.needServer(c, kp+".test", sr.Test)
			s.needCompareAgent(c, kp+".agent", sr.Agent)
			if sr.Baseline != "" {
				ag := s.CompareAgent(sr.Agent)
				pr, isProg := r.programs[sr.Baseline]
				switch prev, ok := baselines[ag]; {
				case !isProg || pr.Builtin != BuiltinHTTPServer:
					s.needServer(c, kp+".baseline", sr.Baseline)
				case sr.Baseline == sr.Production || sr.Baseline == sr.Test:
					c.at(kp+".baseline", "baseline %q: must be a server of its own (running production's version), not production or the test server", sr.Baseline)
				case ok && prev != sr.Baseline:
					c.at(kp+".baseline", "baseline %q: agent %q already compares against baseline %q (one baseline per agent)", sr.Baseline, ag, prev)
				default:
					baselines[ag] = sr.Baseline
				}
			}
			if sr.MinIdentical < 0 || sr.MinIdentical > 1 {
				c.at(kp+".minIdentical", "minIdentical %v: want 0..1", sr.MinIdentical)
			}
			if err := CheckCompareIgnores(sr.IgnoreHeaders, sr.IgnoreJSON); err != nil {
				c.at(kp, "%v", err)
			}
		case e.ResponseLatency != nil:
			rl := e.ResponseLatency
			s.needServer(c, kp+".test", rl.Test)
			s.needCompareAgent(c, kp+".agent", rl.Agent)
			if rl.MaxRatio < 0 {
				c.at(kp+".maxRatio", "maxRatio %v: must be positive", rl.MaxRatio)
			}
			if !oneOfFloat(rl.Percentile, 0, 50, 90, 99) {
				c.at(kp+".percentile", "percentile %v: want 50, 90 or 99", rl.Percentile)
			}
			if rl.SlackMs != nil && *rl.SlackMs < 0 {
				c.at(kp+".slackMs", "slackMs %v: must not be negative", *rl.SlackMs)
			}
		case e.Metric != nil:
			m := e.Metric
			_, okE := r.enis[m.NetworkInterface]
			pr, okP := r.programs[m.Program]
			switch {
			case (m.NetworkInterface == "") == (m.Program == ""):
				c.at(kp, "a metric needs networkInterface (provider metrics) or program (agent stats)")
			case m.NetworkInterface != "":
				opt("networkInterface", m.NetworkInterface, okE, "network interface")
			default:
				opt("program", m.Program, okP, "program")
				if okP && pr.Builtin != BuiltinAgent {
					c.at(kp+".program", "program %q is not the built-in agent", m.Program)
				}
			}
			if m.Name == "" {
				c.at(kp, "missing name")
			}
			cnt = &m.Count
		case e.Output != nil:
			_, ok := r.programs[e.Output.Program]
			need("program", e.Output.Program, ok, "program")
			if e.Output.Contains == "" {
				c.at(kp, "missing contains")
			}
			cnt = &e.Output.Count
		case e.Traffic != nil:
			_, ok := r.traffic[e.Traffic.Name]
			need("name", e.Traffic.Name, ok, "traffic step")
			checkCount(c, kp+".succeeded", e.Traffic.Succeeded)
			checkCount(c, kp+".failed", e.Traffic.Failed)
		case e.ValidationError != nil:
			if e.ValidationError.Code == "" {
				c.at(kp, "missing code (the provider's error code, like TrafficMirrorSessionLimitExceeded)")
			}
			if e.ValidationError.Resource != "" {
				if _, ok := r.resourcePath("", e.ValidationError.Resource); !ok {
					c.at(kp+".resource", "no resource named %q", e.ValidationError.Resource)
				}
			}
		}
		checkCount(c, kp, cnt)
	}
}

func (s *Scenario) needServer(c *problems, path, name string) {
	pr, ok := s.refs.programs[name]
	switch {
	case name == "":
		c.at(path, "missing program name")
	case !ok:
		c.at(path, "no program named %q", name)
	case pr.Builtin != BuiltinHTTPServer:
		c.at(path, "program %q is not the built-in http-server (only it logs requests)", name)
	}
}

func checkCount(c *problems, path string, cnt *Count) {
	if cnt == nil {
		return
	}
	for _, v := range []*int64{cnt.Min, cnt.Max, cnt.Equals} {
		if v != nil && *v < 0 {
			c.at(path, "counts cannot be negative")
			return
		}
	}
	if cnt.Min != nil && cnt.Max != nil && *cnt.Min > *cnt.Max {
		c.at(path, "min %d is above max %d", *cnt.Min, *cnt.Max)
	}
	if cnt.Equals != nil && (cnt.Min != nil || cnt.Max != nil) {
		c.at(path, "equals excludes min and max")
	}
}

// kind names the expectation's kind and counts how many are set.
func (e *Expectation) kind() (string, int) {
	name, n := "", 0
	for _, k := range []struct {
		key string
		set bool
	}{
		{"mirrored", e.Mirrored != nil}, {"notMirrored", e.NotMirrored != nil}, {"arrived", e.Arrived != nil}, {"truncated", e.Truncated != nil}, {"delivered", e.Delivered != nil},
		{"dropped", e.Dropped != nil}, {"requests", e.Requests != nil}, {"sameRequests", e.SameRequests != nil},
		{"sameResponses", e.SameResponses != nil}, {"responseLatency", e.ResponseLatency != nil},
		{"metric", e.Metric != nil}, {"output", e.Output != nil}, {"traffic", e.Traffic != nil},
		{"validationError", e.ValidationError != nil},
	} {
		if k.set {
			name, n = k.key, n+1
		}
	}
	return name, n
}

// Kind names the expectation's kind (mirrored, dropped, …).
func (e *Expectation) Kind() string { k, _ := e.kind(); return k }

func oneOfFloat(v float64, set ...float64) bool {
	for _, x := range set {
		if v == x {
			return true
		}
	}
	return false
}

// CompareAgent returns the agent program that compares responses for an
// expectation: the one named, or the scenario's only built-in agent.
func (s *Scenario) CompareAgent(name string) string {
	if name != "" {
		return name
	}
	only := ""
	for _, p := range s.Programs {
		if p.Builtin == BuiltinAgent {
			if only != "" {
				return ""
			}
			only = p.Name
		}
	}
	return only
}

func (s *Scenario) needCompareAgent(c *problems, path, name string) {
	got := s.CompareAgent(name)
	if got == "" {
		if name == "" {
			c.at(path, "the scenario has several built-in agents (or none): name the one that compares responses")
		}
		return
	}
	pr, ok := s.refs.programs[got]
	if !ok {
		c.at(path, "no program %q", got)
		return
	}
	if pr.Builtin != BuiltinAgent {
		c.at(path, "program %q is not the built-in agent", got)
	}
}
