package spec

import (
	"fmt"
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
			c.at(p, "program %q needs builtin (%s) or command", pr.Name, strings.Join(builtinNames, ", "))
		case pr.Builtin != "" && !isBuiltin(pr.Builtin):
			last := len(builtinNames) - 1
			c.at(p+".builtin", "unknown builtin %q (want %s or %s)", pr.Builtin, strings.Join(builtinNames[:last], ", "), builtinNames[last])
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
