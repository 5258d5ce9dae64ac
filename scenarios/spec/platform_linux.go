package spec

import "fmt"

// checkPlatform checks what only Linux can: the topology as sim realises it
// (names usable in namespaces and interfaces, prefix lengths, …) and the
// built-in agent's flags.
func (s *Scenario) checkPlatform() error {
	if _, err := s.Topology(); err != nil {
		return err
	}
	c := &problems{s: s}
	for i, pr := range s.Programs {
		if pr.Builtin != BuiltinAgent {
			continue
		}
		cfg, err := AgentConfig(pr.Args)
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			c.at(fmt.Sprintf("programs[%d].args", i), "agent: %v", err)
		}
	}
	return c.err()
}
