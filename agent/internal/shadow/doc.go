// Package shadow joins, for each mirrored request, production's response
// (from the mirrored response direction), the test destination's response
// to the replay and optionally a baseline destination's, and hands the
// complete pairs to package compare. Pending pairs are bounded: charged to
// the agent's memory budget, capped in number, timed out; every pair that
// is not compared is counted with its reason.
package shadow
