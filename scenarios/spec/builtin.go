package spec

import "github.com/mirrorlab/mirrorlab/scenarios/workload"

// ParseHTTPServerArgs reads the flags of the built-in http-server.
func ParseHTTPServerArgs(args []string) (workload.ServerConfig, error) {
	return workload.ParseServerArgs(args)
}

// checkAgentArgs checks the flags of the built-in agent.
func checkAgentArgs(args []string) error {
	return nil // TODO(scenarios): parse with agent/cli once it lands
}
