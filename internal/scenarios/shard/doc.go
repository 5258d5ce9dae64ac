// Package shard splits a set of scenarios into N deterministic shares, so
// that the engines users already run (a CI matrix, a Kubernetes Indexed
// Job) each run one share: `mirrorlab run --shard I/N`.
//
// The rule: the items are sorted by their key (a scenario's name, then its
// file), and shard I (1-based, as in Playwright's and Jest's --shard I/N)
// takes the items at sorted positions I-1, I-1+N, I-1+2N, ... So every item
// is in exactly one shard, the shards' sizes differ by at most one, and the
// split does not depend on the order in which the files were given.
// Adding or removing a scenario may move others to another shard.
package shard
