// Package scenarios loads, validates and runs mirrorlab scenario files: the
// topology, the mirror configuration, the programs, the traffic and the
// expectations of one test.
package scenarios
