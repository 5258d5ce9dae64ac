// Package report is a run's outcome: the Result (what a run saw, and the
// verdicts), the judging of a scenario's expectations against what was
// observed, and its renderings (terminal summary, JUnit XML, JSON). It is
// pure: rendering, merging or re-judging a report needs no runner and no
// Linux. It must never import the runner or anything that touches the
// kernel.
package report
