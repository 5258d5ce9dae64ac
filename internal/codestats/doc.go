// Command codestats prints the structural figures the restructure of
// issue 20 is judged by, for the Go files git tracks below the current
// directory: non-test lines of Go, exported functions, methods and types
// outside internal/ and cmd/, and the functions over 80 lines.
//
//	go run ./internal/codestats [-long 80]
package main
