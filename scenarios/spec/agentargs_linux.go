package spec

import (
	"github.com/mirrorlab/mirrorlab/agent"
	"github.com/mirrorlab/mirrorlab/agent/cli"
)

// AgentConfig turns a built-in agent's args (mirror-agent flags) into the
// agent.Config the runner starts in-process. It is agent/cli's own parser,
// so a scenario accepts exactly what mirror-agent accepts.
func AgentConfig(args []string) (agent.Config, error) {
	return cli.ParseConfig(args)
}
