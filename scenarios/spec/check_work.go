package spec

import "fmt"

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
