package spec

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestEveryProblemLocated: input the YAML library reports without a line
// (bad bytes, an alias bomb) or not at all (a second repeated key) gets a
// problem with its line and column; a repeated key causes no other,
// spurious problem.
func TestEveryProblemLocated(t *testing.T) {
	def := string(defaultSource(t))
	// merge keys, each level merging the previous one ten times
	var bomb strings.Builder
	bomb.WriteString("name: bomb\nnetwork:\n  vpcs: []\nprograms:\n  - &m0 {name: p, instance: i}\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&bomb, "  - &m%d {<<: [", i)
		for j := range 10 {
			if j > 0 {
				bomb.WriteString(", ")
			}
			fmt.Fprintf(&bomb, "*m%d", i-1)
		}
		bomb.WriteString("]}\n")
	}
	// a repeated top-level key, and a repeated key deeper in the file
	twoDups := strings.Replace(def, "\nnetwork:\n", "\nname: again\nnetwork:\n", 1)
	twoDups = strings.Replace(twoDups, "settle:", "settle: 1s\nsettle:", 1)
	cases := []struct {
		name string
		src  string
		want []string // each problem, by its start
	}{
		{"invalid UTF-8", "name: a\ndescription: \"ok \xff\"\n", []string{"t.yaml:2:18: invalid UTF-8"}},
		{"NUL byte", "name: a\n  \x00\n", []string{"t.yaml:2:3: control character U+0000"}},
		{"alias bomb", bomb.String(), []string{"t.yaml:13:"}},
		{"two repeated keys", twoDups, []string{
			fmt.Sprintf("t.yaml:%d:1: mapping key \"name\" is already defined", lineOf(twoDups, "name: again")),
			fmt.Sprintf("t.yaml:%d:1: mapping key \"settle\" is already defined", lineOf(twoDups, "settle:")+1),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.src))
			ps := AsProblems(err)
			if len(ps) != len(c.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(ps), len(c.want), err)
			}
			for i, p := range ps {
				if p.Line == 0 || !strings.HasPrefix(p.Error(), c.want[i]) {
					t.Errorf("problem %d = %q, want it to start %q", i, p.Error(), c.want[i])
				}
			}
		})
	}
}

func lineOf(src, prefix string) int {
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	return 0
}

func defaultSource(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../../scenarios/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
