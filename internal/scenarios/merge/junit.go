package merge

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
)

// junitReport is a JUnit XML report: test suites and their totals. It reads the
// common dialect (a <testsuites> root, or a single <testsuite>) and keeps
// what CI systems show: suites, cases, failures, errors, skips, output.
type junitReport struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr,omitempty"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     float64  `xml:"time,attr"`
	Suites   []suite  `xml:"testsuite"`
}

// suite is one <testsuite>.
type suite struct {
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr,omitempty"`
	Time       float64     `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr,omitempty"`
	Hostname   string      `xml:"hostname,attr,omitempty"`
	Properties *properties `xml:"properties,omitempty"`
	Cases      []testCase  `xml:"testcase"`
	SystemOut  string      `xml:"system-out,omitempty"`
	SystemErr  string      `xml:"system-err,omitempty"`
}

// properties are a suite's <properties>.
type properties struct {
	Property []property `xml:"property"`
}

// property is one <property name= value=>.
type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// testCase is one <testcase>.
type testCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Time      float64   `xml:"time,attr,omitempty"`
	Failures  []outcome `xml:"failure"`
	Errors    []outcome `xml:"error"`
	Skipped   *outcome  `xml:"skipped"`
	SystemOut string    `xml:"system-out,omitempty"`
	SystemErr string    `xml:"system-err,omitempty"`
}

// outcome is a <failure>, <error> or <skipped>.
type outcome struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// readJUnit reads one JUnit XML report; name is for messages.
func readJUnit(name string, r io.Reader) (*junitReport, error) {
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no <testsuites> or <testsuite> element", name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var j junitReport
		switch se.Name.Local {
		case "testsuites":
			err = dec.DecodeElement(&j, &se)
		case "testsuite":
			var s suite
			err = dec.DecodeElement(&s, &se)
			j.Suites = []suite{s}
		default:
			return nil, fmt.Errorf("%s: the root element is <%s>, want <testsuites> or <testsuite> (JUnit XML)", name, se.Name.Local)
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		j.total()
		return &j, nil
	}
}

// total counts each suite from its cases (when it has any) and the root
// from its suites.
func (j *junitReport) total() {
	j.Tests, j.Failures, j.Errors, j.Skipped, j.Time = 0, 0, 0, 0, 0
	for i := range j.Suites {
		s := &j.Suites[i]
		if len(s.Cases) > 0 {
			s.Tests, s.Failures, s.Errors, s.Skipped = len(s.Cases), 0, 0, 0
			for _, c := range s.Cases {
				switch {
				case len(c.Errors) > 0:
					s.Errors++
				case len(c.Failures) > 0:
					s.Failures++
				case c.Skipped != nil:
					s.Skipped++
				}
			}
		}
		j.Tests += s.Tests
		j.Failures += s.Failures
		j.Errors += s.Errors
		j.Skipped += s.Skipped
		j.Time += s.Time
	}
	j.Time = math.Round(j.Time*1000) / 1000
}

// add appends o's suites to j and sums the totals.
func (j *junitReport) add(o *junitReport) {
	j.Suites = append(j.Suites, o.Suites...)
	j.total()
}

// passed says that no case failed or erred.
func (j *junitReport) passed() bool { return j.Failures == 0 && j.Errors == 0 }

// write writes j as JUnit XML.
func (j *junitReport) write(w io.Writer) error { return report.WriteXML(w, j) }
