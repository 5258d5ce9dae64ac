// Package explain says, without running anything, what the provider model
// does with a scenario's traffic: for each flow (or one packet), at each
// interface it passes, whether it is mirrored, by which session, to which
// target and VNI, whether the copy is truncated, and whether it is delivered
// or why not; plus the validation problems and a monthly cost estimate.
// It needs no root: it uses cloudmock only.
package explain
