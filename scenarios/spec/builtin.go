package spec

import "github.com/mirrorlab/mirrorlab/scenarios/workload"

// ParseHTTPServerArgs reads the flags of the built-in http-server.
func ParseHTTPServerArgs(args []string) (workload.ServerConfig, error) {
	return workload.ParseServerArgs(args)
}
