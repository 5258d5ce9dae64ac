// Command mirror-agent is the decap agent: it receives VPC Traffic
// Mirroring (VXLAN), rebuilds the TCP streams towards the watched ports and
// replays the HTTP requests to a test environment. See agent/cli for flags.
package main

import (
	"context"
	"os"

	"github.com/mirrorlab/mirrorlab/agent/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
