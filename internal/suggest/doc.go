// Package suggest finds the names closest to a mistyped one, for error
// messages that say "did you mean …?" (a scenario of the library, a field of
// the scenario format).
package suggest
