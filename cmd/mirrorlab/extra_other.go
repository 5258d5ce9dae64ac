//go:build !linux

package main

import (
	"context"
	"fmt"
	"io"
)

func extraCommand(_ context.Context, cmd string, _ []string, _, stderr io.Writer) (int, bool) {
	switch cmd {
	case "agent", "bench", "up", "exec", "down", "clean":
		fmt.Fprintf(stderr, "mirrorlab %s needs Linux (network namespaces); explain, validate, schema and library work here\n", cmd)
		return 1, true
	}
	return 0, false
}
