package scenarios

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/runner"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/internal/suggest"
)

//go:embed default.yaml schema.json library
var files embed.FS

// DefaultName is the name under which the embedded default scenario is
// reported.
const DefaultName = "default.yaml"

// Default returns the default scenario (the reference walk-through) as
// embedded in the binary.
func Default() []byte {
	b, _ := files.ReadFile("default.yaml") // embedded at build time: cannot fail
	return b
}

// Schema returns the JSON Schema of the scenario format.
func Schema() []byte {
	b, _ := files.ReadFile("schema.json")
	return b
}

// Library returns the embedded library's scenario files by base name
// ("rule-order.yaml", …), and the names sorted.
func Library() (map[string][]byte, []string) {
	out := map[string][]byte{}
	entries, _ := fs.ReadDir(files, "library")
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := files.ReadFile(path.Join("library", e.Name()))
		if err == nil {
			out[e.Name()] = b
		}
	}
	names := slices.Sorted(maps.Keys(out))
	return out, names
}

// Load reads a scenario by argument: "" is the embedded default scenario; a
// path that exists is read from disk; otherwise a name of the embedded
// library ("rule-order" or "rule-order.yaml"). Its built-in programs' args
// are checked as the programs parse them (runner.Builtins).
func Load(arg string) (*spec.Scenario, error) {
	return LoadContext(context.Background(), arg)
}

// LoadContext is Load that stops soon after ctx is done (Ctrl-C), with an
// error that wraps spec.ErrInterrupted.
func LoadContext(ctx context.Context, arg string) (*spec.Scenario, error) {
	s, err := read(ctx, arg)
	if s == nil {
		return s, err
	}
	return s, spec.JoinProblems(err, s.CheckArgs(runner.Builtins()))
}

func read(ctx context.Context, arg string) (*spec.Scenario, error) {
	if arg == "" {
		return spec.ParseContext(ctx, DefaultName, Default())
	}
	if _, err := os.Stat(arg); err == nil || strings.ContainsRune(arg, os.PathSeparator) {
		return spec.LoadContext(ctx, arg)
	}
	lib, _ := Library()
	name := strings.TrimSuffix(arg, ".yaml") + ".yaml"
	if b, ok := lib[name]; ok {
		return spec.ParseContext(ctx, "library/"+name, b)
	}
	_, err := spec.Load(arg)
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// Neither a file nor a name of the library: say both, and the names
	// that come closest.
	short := make([]string, 0, len(lib))
	for n := range lib {
		short = append(short, strings.TrimSuffix(n, ".yaml"))
	}
	sort.Strings(short)
	msg := fmt.Sprintf("%v; no scenario of the embedded library is named %q either", err, strings.TrimSuffix(arg, ".yaml"))
	if near := suggest.Closest(strings.TrimSuffix(arg, ".yaml"), short, 3); len(near) > 0 {
		msg += " (did you mean " + strings.Join(near, ", ") + "?)"
	}
	return nil, &notFoundError{msg: msg + "; `mirrorlab library` lists them", err: err}
}

// notFoundError is Load's error for an argument that is neither a file nor
// a name of the library; it wraps the file's error (fs.ErrNotExist).
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return e.err }
