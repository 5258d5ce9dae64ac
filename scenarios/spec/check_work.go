package spec

import (
	"fmt"
	"net/netip"
	"strings"
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
		case pr.Builtin != "" && !isBuiltin(pr.Builtin):
			c.at(p+".builtin", "unknown builtin %q (want http-server, agent or udp-sink)", pr.Builtin)
		case pr.Builtin != "":
			// its args are the program's to check (CheckArgs)
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
