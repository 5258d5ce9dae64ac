package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// lossCauses says in words why copies did not reach their receiver, by the
// model's delivery code.
var lossCauses = map[string]string{
	cloudmock.DroppedByTargetNACL.String(): "the target subnet's network ACL denies inbound UDP 4789 from the source",
	cloudmock.DroppedByTargetSG.String():   "no security group of the target allows inbound UDP 4789 from the source",
	cloudmock.NoListener.String():          "the load balancer has no UDP 4789 listener (lost silently)",
	cloudmock.NoHealthyTarget.String():     "the load balancer has no healthy registered target",
	cloudmock.NoRouteToTarget.String():     "the target is in another VPC the source's VPC has no route to (no active peering, no transit gateway both are attached to)",
}

// losses lists, per session, the copies that did not reach their receiver.
func losses(s *spec.Scenario, o *Observations) []string {
	var out []string
	for _, ss := range s.Mirror.Sessions {
		c, ok := o.Model.Sessions[ss.TrafficMirrorSessionId]
		if !ok {
			continue
		}
		codes := slices.Sorted(maps.Keys(c.Delivery))
		for _, code := range codes {
			if why, lost := lossCauses[code]; lost && c.Delivery[code] > 0 {
				out = append(out, fmt.Sprintf("session %s -> target %s: %d mirrored packets LOST: %s (%s)",
					ss.TrafficMirrorSessionId, ss.TrafficMirrorTargetId, c.Delivery[code], why, code))
			}
		}
		if c.SkipPackets > 0 {
			out = append(out, fmt.Sprintf("session %s -> target %s: %d mirrored packets SKIPPED: the mirror path was saturated (production traffic has priority)",
				ss.TrafficMirrorSessionId, ss.TrafficMirrorTargetId, c.SkipPackets))
		}
	}
	return out
}

// WriteSummary writes the human summary of a result.
func WriteSummary(w io.Writer, r *Result) {
	status := "PASS"
	if !r.Passed {
		status = "FAIL"
	}
	fmt.Fprintf(w, "\n%s  %s  (%s, %s profile, %.1fs)\n", status, r.Scenario, r.File, r.Provider, r.Duration.Seconds())
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", indent(r.Error, "         "))
	}
	if r.Error == "" { // a refusal that the scenario expects (else Error says it)
		for _, p := range r.Validation {
			fmt.Fprintf(w, "  refused: %s\n", p.Error())
		}
	}
	if len(r.Programs) > 0 {
		fmt.Fprintln(w, "  programs:")
		for _, p := range r.Programs {
			fmt.Fprintf(w, "    %-18s %-12s on %-12s %s\n", p.Name, p.Kind, p.Instance, programLine(p))
		}
	}
	if len(r.Traffic) > 0 {
		fmt.Fprintln(w, "  traffic:")
		for _, t := range r.Traffic {
			fmt.Fprintf(w, "    %-18s %-8s sent %d, succeeded %d, failed %d\n", t.Name, t.Kind, t.Sent, t.Succeeded, t.Failed)
		}
	}
	if len(r.Sessions) > 0 {
		fmt.Fprintln(w, "  mirror sessions:")
		for _, s := range r.Sessions {
			fmt.Fprintf(w, "    %-18s -> %-16s VNI %-8d mirrored %d packets (%d bytes), truncated %d, delivered %d",
				s.Name, s.Target, s.VNI, s.Packets, s.Bytes, s.Truncated, s.Delivery[cloudmock.Delivered.String()])
			if s.SkipPackets > 0 {
				fmt.Fprintf(w, ", skipped %d", s.SkipPackets)
			}
			fmt.Fprintln(w)
		}
	}
	writeArrivals(w, r.Arrivals)
	if d := r.DataPlane; d != nil && d.Mirrored > 0 {
		fmt.Fprintf(w, "  mirror data plane: %d copies, %d of them by the in-kernel path", d.Mirrored, d.Kernel)
		if d.KernelOff != "" {
			fmt.Fprintf(w, " (off: %s)", d.KernelOff)
		}
		fmt.Fprintln(w)
		for _, u := range d.UserSpace {
			fmt.Fprintf(w, "    decided in user space: %s\n", u)
		}
	}
	if d := r.DataPlane; d != nil && d.RingDrops > 0 {
		fmt.Fprintf(w, "  WARNING: the mirror service's captures missed %d frames (kernel ring full): counts are low\n", d.RingDrops)
	}
	for _, l := range r.Losses {
		fmt.Fprintf(w, "  %s\n", l)
	}
	for _, c := range r.Comparisons {
		fmt.Fprintf(w, "  requests: production (%s) served %d, test (%s) received %d, matched %d (%.1f%%)\n",
			c.Production, c.Production0(), c.Test, c.Test0(), c.Matched, 100*c.Completeness())
	}
	for _, p := range r.Programs {
		if p.Compare != nil {
			for _, l := range compareLines(p.Compare) {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
	writeVerdicts(w, r.Expectations)
	for _, f := range r.PcapFiles {
		fmt.Fprintf(w, "  pcapng: %s\n", f)
	}
	if r.Kept {
		fmt.Fprintf(w, "  lab kept: namespaces ml%s-* (ip netns exec ml%s-INSTANCE ...); mirrorlab clean removes it\n", r.RunID, r.RunID)
	}
}

func writeArrivals(w io.Writer, arrivals []Arrival) {
	if len(arrivals) == 0 {
		return
	}
	fmt.Fprintln(w, "  arrived at the receivers (captured there):")
	for _, a := range arrivals {
		fmt.Fprintf(w, "    %-18s %d VXLAN datagrams%s", a.ENI, a.Total, vniList(a))
		if a.Geneve > 0 {
			fmt.Fprintf(w, ", %d of them in GENEVE from a gateway load balancer", a.Geneve)
		}
		if a.IPv6 > 0 {
			fmt.Fprintf(w, ", %d of them over IPv6", a.IPv6)
		}
		if a.Total > 0 {
			fmt.Fprintf(w, ", inner frames %d..%d bytes", a.MinInner, a.MaxInner)
		}
		if a.CaptureDrops > 0 {
			fmt.Fprintf(w, " (the capture dropped %d more)", a.CaptureDrops)
		}
		fmt.Fprintln(w)
	}
}

func writeVerdicts(w io.Writer, verdicts []Verdict) {
	fmt.Fprintln(w, "  expectations:")
	var notRun []string
	for _, v := range verdicts {
		if v.NotRun {
			notRun = append(notRun, v.Name)
			continue
		}
		mark := "ok  "
		if !v.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "    %s %s: want %s, got %s\n", mark, v.Name, v.Want, v.Observed)
		if v.Detail != "" && !v.Passed {
			fmt.Fprintf(w, "         %s\n", v.Detail)
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintf(w, "    not judged, the run stopped first (%d): %s\n", len(notRun), strings.Join(notRun, "; "))
	}
}

// Production0 and Test0 are the request counts of a comparison.
func (c Comparison) Production0() int { return c.Comparison.Production }

// Test0 is the test server's request count.
func (c Comparison) Test0() int { return c.Comparison.Test }

func programLine(p ProgramResult) string {
	var s string
	switch p.Kind {
	case spec.BuiltinHTTPServer:
		s = fmt.Sprintf("received %d requests", p.Requests)
	case spec.BuiltinUDPSink:
		s = fmt.Sprintf("swallowed %d datagrams", p.Datagrams)
	case spec.BuiltinAgent:
		s = fmt.Sprintf("decoded %.0f packets, parsed %.0f requests, replayed %.0f, failed %.0f",
			p.Stats["packets"], p.Stats["requests.parsed"], p.Stats["requests.replayed"], p.Stats["requests.failed"])
	default:
		s = fmt.Sprintf("exit code %d", p.ExitCode)
	}
	if p.Error != "" {
		s += " (error: " + p.Error + ")"
	}
	return s
}

func vniList(a Arrival) string {
	if len(a.ByVNI) == 0 {
		return ""
	}
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(a.ByVNI)) {
		parts = append(parts, fmt.Sprintf("VNI %d: %d", v, a.ByVNI[v]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func indent(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }

// JUnit XML (the subset CI systems read).
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
	// SystemOut holds the agents' per-endpoint response comparison.
	SystemOut string `xml:"system-out,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the results as JUnit XML: one test suite per scenario,
// one test case per expectation (plus one for a run error).
func WriteJUnit(w io.Writer, results []*Result) error {
	var doc junitSuites
	for _, r := range results {
		s := junitSuite{Name: r.Scenario, Time: r.Duration.Seconds()}
		if r.Error != "" {
			s.Errors++
			s.Cases = append(s.Cases, junitCase{Name: "run", Classname: r.Scenario, Error: &junitFailure{Message: firstLine(r.Error), Text: r.Error}})
		}
		for _, v := range r.Expectations {
			c := junitCase{Name: v.Name, Classname: r.Scenario}
			if v.NotRun {
				// not judged: the "run" case above fails with the reason
				c.Skipped = &junitSkipped{Message: "not judged: the run stopped before it could be observed (the scenario's error says why)"}
				s.Skipped++
				s.Cases = append(s.Cases, c)
				continue
			}
			if !v.Passed {
				s.Failures++
				text := fmt.Sprintf("%s:%d: want %s, got %s", r.File, v.Line, v.Want, v.Observed)
				if v.Detail != "" {
					text += "\n" + v.Detail
				}
				c.Failure = &junitFailure{Message: fmt.Sprintf("want %s, got %s", v.Want, v.Observed), Text: text}
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		for _, p := range r.Programs {
			if p.Compare != nil {
				s.SystemOut += p.Name + " " + strings.Join(compareLines(p.Compare), "\n") + "\n"
			}
		}
		doc.Suites = append(doc.Suites, s)
	}
	return WriteXML(w, doc)
}

// WriteXML writes doc (a JUnit document) as indented XML with its header.
func WriteXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func joinFirst(ss []string, n int) string {
	if len(ss) > n {
		return strings.Join(ss[:n], "; ") + fmt.Sprintf("; and %d more", len(ss)-n)
	}
	return strings.Join(ss, "; ")
}
