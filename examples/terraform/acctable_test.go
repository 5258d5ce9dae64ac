package terraform

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// accResult is the outcome of one of the provider's acceptance tests.
type accResult struct {
	Test   string
	Result string // PASS, FAIL, SKIP, or NONE (it never finished)
	Reason string // the first error (FAIL), why it skipped (SKIP)
}

// testEvent is one line of go tool test2json's output.
type testEvent struct {
	Action string
	Test   string
	Output string
}

// readAccResults reads test2json events and returns, per test named in
// want (in that order) and then per other test in order of its start, its
// result and, unless it passed, the first error in its output. A test of
// want that produced no result (the binary died, timed out) is NONE.
func readAccResults(r io.Reader, want []string) ([]accResult, error) {
	out := map[string]*strings.Builder{}
	result := map[string]string{}
	order := append([]string(nil), want...)
	seen := map[string]bool{}
	for _, w := range want {
		seen[w] = true
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var e testEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("test2json output line %d: %w", line, err)
		}
		if e.Test == "" || strings.Contains(e.Test, "/") {
			continue // the binary's own lines; subtests belong to their parent
		}
		if !seen[e.Test] {
			seen[e.Test] = true
			order = append(order, e.Test)
		}
		switch e.Action {
		case "output":
			if out[e.Test] == nil {
				out[e.Test] = &strings.Builder{}
			}
			out[e.Test].WriteString(e.Output)
		case "pass", "fail", "skip":
			result[e.Test] = strings.ToUpper(e.Action)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading test2json output: %w", err)
	}
	res := make([]accResult, 0, len(order))
	for _, name := range order {
		r := accResult{Test: name, Result: result[name]}
		text := ""
		if out[name] != nil {
			text = out[name].String()
		}
		switch r.Result {
		case "":
			r.Result = "NONE"
			r.Reason = "no result: the test binary stopped before this test ended"
			if text != "" {
				r.Reason += " (" + accReason(text) + ")"
			}
		case "FAIL", "SKIP":
			r.Reason = accReason(text)
		}
		res = append(res, r)
	}
	return res, nil
}

var (
	// an AWS SDK for Go v2 error with its API error code, e.g.
	// "operation error EC2: CreateVpc, https response error StatusCode:
	// 400, RequestID: 1, api error InvalidAction: The action …"
	reAPIError = regexp.MustCompile(`operation error ([^:]+): (\w+), https response error StatusCode: (\d+), RequestID: [^,]*, (?:api error )?([^:\s]+): ([^\n]*)`)
	// any other error of the SDK (e.g. a response it could not read)
	reOpError = regexp.MustCompile(`operation error ([^\n]*)`)
	// terraform-plugin-testing's step, e.g. "Step 1/2 error: …"
	reStep = regexp.MustCompile(`Step (\d+/\d+) error`)
	// a diagnostic of Terraform: "Error: summary"
	reTFError = regexp.MustCompile(`(?m)^\s*Error: (.*\S)`)
	// a test log line: "    file_test.go:12: message"
	reLogLine = regexp.MustCompile(`(?m)^\s+[\w.]+\.go:\d+: (.*\S)`)
)

// accReason is the first error in a test's output, as short as it can be
// said: the AWS action and its error code first, else Terraform's first
// diagnostic, else the test's first log line; prefixed by the step.
func accReason(out string) string {
	var why string
	switch m := reAPIError.FindStringSubmatch(out); {
	case m != nil:
		why = fmt.Sprintf("%s %s: HTTP %s %s: %s", m[1], m[2], m[3], m[4], strings.TrimSpace(m[5]))
	default:
		if m := reOpError.FindStringSubmatch(out); m != nil {
			why = "operation error " + strings.TrimSpace(m[1])
		} else if m := reTFError.FindStringSubmatch(out); m != nil {
			why = "Error: " + m[1]
		} else if m := reLogLine.FindStringSubmatch(out); m != nil {
			why = m[1]
		} else {
			why = firstLine(out)
		}
	}
	if m := reStep.FindStringSubmatch(out); m != nil {
		why = "step " + m[1] + ": " + why
	}
	const max = 300
	if len(why) > max {
		why = why[:max] + "…"
	}
	return why
}

// firstLine is the first line of out that says something (not a "=== "
// line of go test), or "(no message)".
func firstLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "=== ") {
			return l
		}
	}
	return "(no message)"
}

// accTable is results as a Markdown table.
func accTable(res []accResult) string {
	var b strings.Builder
	b.WriteString("| test | result | first error / reason |\n|---|---|---|\n")
	for _, r := range res {
		reason := strings.ReplaceAll(r.Reason, "|", `\|`)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.Test, r.Result, reason)
	}
	return b.String()
}
