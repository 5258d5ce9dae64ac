// Package codes holds the error codes of the EC2 and ELBv2 APIs that the
// model and the API servers answer: one home for the spelling of each.
package codes
