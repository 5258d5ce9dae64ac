// Command mirrorlab-bench runs the bench before `mirrorlab bench` is wired:
// go run ./bench/cmd/mirrorlab-bench [--smoke] [--out DIR] | compare OLD NEW.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mirrorlab/mirrorlab/bench/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
