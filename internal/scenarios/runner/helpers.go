package runner

import (
	"encoding/json"
	"os"
	"strings"
)

// flatten turns a JSON-able value into dotted names and numbers
// ("requests.replayed": 100).
func flatten(v any) map[string]float64 {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil
	}
	out := map[string]float64{}
	var walk func(prefix string, t any)
	walk = func(prefix string, t any) {
		switch t := t.(type) {
		case map[string]any:
			for k, v := range t {
				if prefix != "" {
					k = prefix + "." + k
				}
				walk(k, v)
			}
		case float64:
			out[prefix] = t
		}
	}
	walk("", tree)
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func joinArgs(argv []string) string { return strings.Join(argv, " ") }

func envBase() []string { return os.Environ() }
