package spec

// checkPlatform checks what only Linux can: the topology as sim realises it
// (names usable in namespaces and interfaces, prefix lengths, …).
func (s *Scenario) checkPlatform() error {
	_, err := s.Topology()
	return err
}
