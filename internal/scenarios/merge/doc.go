// Package merge joins the reports of runs made apart (the shards of
// `mirrorlab run --shard I/N` on several machines) into one: the JSON
// results (arrays of report.Result, as `run --json` writes them) are
// concatenated, and the JUnit XML files become one file whose test suites
// are all of theirs and whose totals are their sums. `mirrorlab report
// merge` is its command.
package merge
