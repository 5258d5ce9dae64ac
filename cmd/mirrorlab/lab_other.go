//go:build !linux

package main

import (
	"context"
	"fmt"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// The commands that need Linux (network namespaces) exist everywhere, with
// their help, and say so when run.

func needsLinux(a *app, cmd string) int {
	fmt.Fprintf(a.stderr, "mirrorlab %s needs Linux (network namespaces); explain, validate, schema and library work here\n", cmd)
	return 1
}

func cmdUp(_ context.Context, a *app, _ string, _ labOptions) int { return needsLinux(a, "up") }

func cmdExec(_ context.Context, a *app, _ string, _ []string, _ labOptions) int {
	return needsLinux(a, "exec")
}

func cmdStatus(a *app, _ labOptions) int { return needsLinux(a, "status") }
func cmdDown(a *app, _ labOptions) int   { return needsLinux(a, "down") }
func cmdClean(a *app, _ labOptions) int  { return needsLinux(a, "clean") }

// recordKept: run --keep needs Linux; nothing is ever kept here.
func recordKept(string, *report.Result) error { return nil }

func runAgent(_ context.Context, a *app, _ []string) int { return needsLinux(a, "agent") }
func runBench(_ context.Context, a *app, _ []string) int { return needsLinux(a, "bench") }
