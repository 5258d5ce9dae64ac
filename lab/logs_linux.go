package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// logGrace is how old a detached owner's log must be before Clean takes
// it for left over: up -d writes the log before the owner records its lab.
const logGrace = time.Minute

// logsDir holds the detached owners' logs.
func logsDir(dir string) string { return filepath.Join(dirOr(dir), "logs") }

// CreateLog creates the log file of a detached owner (up -d) in the state
// directory, named after now and this process.
func CreateLog(stateDir string, now time.Time) (*os.File, error) {
	if err := os.MkdirAll(logsDir(stateDir), 0o755); err != nil {
		return nil, err
	}
	p := filepath.Join(logsDir(stateDir), fmt.Sprintf("up-%s-%d.log", now.UTC().Format("20060102T150405"), os.Getpid()))
	return os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// sweepLogs removes the logs of detached owners (up-*.log, also where
// earlier versions put them) that no recorded lab names any more and that
// nobody wrote to for logGrace, and returns their paths.
func sweepLogs(dir string, now time.Time) ([]string, error) {
	labs, err := List(dir)
	if err != nil {
		return nil, err
	}
	inUse := make(map[string]bool, len(labs))
	for _, l := range labs {
		if l.Record.Log != "" {
			inUse[filepath.Clean(l.Record.Log)] = true
		}
	}
	var paths []string
	for _, d := range []string{logsDir(dir), legacyDir(dir)} {
		ps, err := filepath.Glob(filepath.Join(d, "up-*.log"))
		if err != nil {
			return nil, err
		}
		paths = append(paths, ps...)
	}
	var removed []string
	var errs []error
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || inUse[filepath.Clean(p)] || now.Sub(fi.ModTime()) < logGrace {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("remove left-over log: %w", err))
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}
