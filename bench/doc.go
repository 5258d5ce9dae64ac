// Package bench measures the mirror path and the decap agent beside kernel
// references and a peer agent measured in the same run, and compares results
// against a stored baseline.
package bench
