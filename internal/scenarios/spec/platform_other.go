//go:build !linux

package spec

// checkPlatform: the emulated VPC and the agent run on Linux only; elsewhere
// (explain on a laptop) the file's own checks and the provider's are all
// there is.
func (s *Scenario) checkPlatform() error { return nil }
