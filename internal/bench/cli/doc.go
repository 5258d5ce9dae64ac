// Package cli is the `mirrorlab bench` command line:
//
//	mirrorlab bench [--smoke] [--out DIR] [--runs N] [--only PART,...] [--goreplay PATH]
//	mirrorlab bench compare OLD NEW [--tolerance 0.1]
//
// The first measures (as root) and writes result.json, results.md and SVG
// plots to DIR; the second compares two result.json files and exits 1 when a
// figure regressed beyond the tolerance.
package cli
