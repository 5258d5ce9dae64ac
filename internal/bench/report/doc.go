// Package report holds the bench's results: the JSON schema kept as a
// baseline, the Markdown table, hand-written SVG plots, and the comparison of
// two results that fails on a regression.
//
// Every figure of ours is meant to stand beside a reference measured in the
// same run: a Measurement may name its Reference, and ratios are computed run
// by run (run i of ours over run i of the reference) before the median is
// taken, so a slower or busier machine moves both sides together.
package report
