package merge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// readJSON reads the results that `mirrorlab run --json` wrote (an array
// of results; a single result object is accepted too); name is for
// messages.
func readJSON(name string, r io.Reader) ([]*report.Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimSpace(data)
	var out []*report.Result
	if bytes.HasPrefix(data, []byte("{")) {
		var one report.Result
		err = strictJSON(data, &one)
		out = []*report.Result{&one}
	} else {
		err = strictJSON(data, &out)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not mirrorlab results (run --json): %w", name, err)
	}
	for i, r := range out {
		if r == nil || r.Scenario == "" {
			return nil, fmt.Errorf("%s: result %d names no scenario: not mirrorlab results (run --json)", name, i+1)
		}
	}
	return out, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

// Merged is the join of several reports.
type Merged struct {
	// Results are the JSON files' results, in the order of the files.
	Results []*report.Result
	// junit is the JUnit files' suites (nil when there was none).
	junit *junitReport
	// JSONFiles and JUnitFiles count the files of each kind read.
	JSONFiles, JUnitFiles int
}

// Files reads every file, JSON results or JUnit XML (told apart by their
// first character), and merges them in the order given.
func Files(paths []string) (*Merged, error) {
	m := &Merged{}
	for _, p := range paths {
		if err := m.addFile(p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Merged) addFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch first {
	case '[', '{':
		rs, err := readJSON(path, br)
		if err != nil {
			return err
		}
		m.Results = append(m.Results, rs...)
		m.JSONFiles++
	case '<':
		j, err := readJUnit(path, br)
		if err != nil {
			return err
		}
		if m.junit == nil {
			m.junit = &junitReport{}
		}
		m.junit.add(j)
		m.JUnitFiles++
	default:
		return fmt.Errorf("%s: neither JSON results (run --json) nor JUnit XML (run --junit)", path)
	}
	return nil
}

// firstByte peeks at the first byte that is not white space (or a UTF-8
// byte order mark).
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return 0, fmt.Errorf("empty file")
		}
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		case 0xEF:
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				continue
			}
		}
		return b[0], nil
	}
}

// Passed says that every scenario of the JSON results passed and that no
// JUnit case failed or erred.
func (m *Merged) Passed() bool {
	for _, r := range m.Results {
		if !r.Passed {
			return false
		}
	}
	return m.junit == nil || m.junit.passed()
}

// WriteJUnit writes the merged JUnit suites as JUnit XML (none when no
// JUnit file was read: check JUnitFiles).
func (m *Merged) WriteJUnit(w io.Writer) error {
	if m.junit == nil {
		return errors.New("no JUnit XML among the files")
	}
	return m.junit.write(w)
}

// Summary is one line on what was merged and whether it all passed.
func (m *Merged) Summary() string {
	s := ""
	if m.JSONFiles > 0 {
		passed := 0
		for _, r := range m.Results {
			if r.Passed {
				passed++
			}
		}
		s = fmt.Sprintf("%d of %d scenarios passed (%d JSON files)", passed, len(m.Results), m.JSONFiles)
	}
	if j := m.junit; j != nil {
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("JUnit: %d tests, %d failures, %d errors, %d skipped (%d files)", j.Tests, j.Failures, j.Errors, j.Skipped, m.JUnitFiles)
	}
	return s
}

// WriteJSON writes the results as `run --json` does.
func WriteJSON(w io.Writer, results []*report.Result) error {
	if results == nil {
		results = []*report.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}
