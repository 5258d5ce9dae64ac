// Package progress shows a run's progress on a terminal: the runner's
// progress lines as they come, and during a traffic step one status line
// (packets mirrored and requests replayed so far) rewritten in place about
// twice a second. When the output is not a terminal (a CI log, a file, a
// pipe) the status line is left out, so logs get only whole lines.
package progress
