package htmlreport

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
	"github.com/mirrorlab/mirrorlab/scenarios"
)

func render(t testing.TB, runs []Run) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, runs); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	return b.String(), doc
}

// find returns the elements below n for which match holds, in document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

func byClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return hasClass(n, class) }
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// sessionArrows returns the session groups of a run's section by session
// name.
func sessionGroups(section *html.Node) map[string]*html.Node {
	out := map[string]*html.Node{}
	for _, g := range find(section, byClass("session")) {
		name, _ := attr(g, "data-session")
		out[name] = g
	}
	return out
}

func TestWriteDrawsEverySession(t *testing.T) {
	runs := fixture(t)
	_, doc := render(t, runs)
	sections := find(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "run") })
	if len(sections) != len(runs) {
		t.Fatalf("%d sections, want one per run (%d)", len(sections), len(runs))
	}
	for i, r := range runs {
		sec := sections[i]
		t.Run(r.Result.Scenario, func(t *testing.T) {
			if h := find(sec, func(n *html.Node) bool { return n.Data == "h2" }); len(h) != 1 || !strings.Contains(text(h[0]), r.Result.Scenario) {
				t.Fatalf("the section's heading does not name %s", r.Result.Scenario)
			}
			groups := sessionGroups(sec)
			arrows := 0
			for _, ss := range r.Scenario.Mirror.Sessions {
				arrows += len(sources(ss))
			}
			paths := map[string]bool{}
			for _, p := range find(sec, byClass("session-arrow")) {
				d, _ := attr(p, "d")
				paths[d] = true
			}
			if len(paths) != arrows {
				t.Errorf("%d distinct session arrows, want %d", len(paths), arrows)
			}
			for _, ss := range r.Scenario.Mirror.Sessions {
				g, ok := groups[ss.TrafficMirrorSessionId]
				if !ok {
					t.Errorf("no arrow for session %s", ss.TrafficMirrorSessionId)
					continue
				}
				path := find(g, byClass("session-arrow"))[0]
				d, _ := attr(path, "d")
				if !strings.HasPrefix(d, "M") || !strings.Contains(d, "C") {
					t.Errorf("session %s: arrow path %q", ss.TrafficMirrorSessionId, d)
				}
				if m, _ := attr(path, "marker-end"); !strings.HasPrefix(m, "url(#") {
					t.Errorf("session %s: the arrow has no head (marker-end %q)", ss.TrafficMirrorSessionId, m)
				}
				label := text(find(g, byClass("arrow-label"))[0])
				if !strings.Contains(label, "filter "+ss.TrafficMirrorFilterId) || !strings.Contains(label, "VNI ") {
					t.Errorf("session %s: label %q lacks the VNI or the filter", ss.TrafficMirrorSessionId, label)
				}
				for _, sr := range r.Result.Sessions {
					if sr.Name == ss.TrafficMirrorSessionId && !strings.Contains(label, fmt.Sprintf("VNI %d", sr.VNI)) {
						t.Errorf("session %s: label %q, want VNI %d", ss.TrafficMirrorSessionId, label, sr.VNI)
					}
				}
			}
			// every ENI of the scenario is drawn once
			for _, in := range r.Scenario.Network.Instances.List {
				for _, e := range in.NetworkInterfaces {
					n := find(sec, func(n *html.Node) bool { v, _ := attr(n, "data-eni"); return v == e.NetworkInterfaceId })
					if len(n) != 1 {
						t.Errorf("ENI %s drawn %d times", e.NetworkInterfaceId, len(n))
					}
				}
			}
			// the expectations, each with its verdict
			rows := find(sec, byClass("verdict"))
			if len(rows) != len(r.Result.Expectations) {
				t.Fatalf("%d expectation rows, want %d", len(rows), len(r.Result.Expectations))
			}
			for j, v := range r.Result.Expectations {
				if hasClass(rows[j], "pass") != v.Passed || !strings.Contains(text(rows[j]), v.Name) {
					t.Errorf("expectation row %d %q does not show %q passed=%v", j, text(rows[j]), v.Name, v.Passed)
				}
			}
			// the timeline: a bar per phase and per traffic step
			want := len(r.Result.Timeline)
			if want > 0 {
				want += len(r.Result.Traffic)
			}
			if got := len(find(sec, byClass("phase"))); got != want {
				t.Errorf("timeline has %d bars, want %d", got, want)
			}
		})
	}
}

func TestWriteShowsCountersAndLosses(t *testing.T) {
	runs := fixture(t)
	page, _ := render(t, runs)
	for _, r := range runs {
		for _, l := range r.Result.Losses {
			if !strings.Contains(page, html.EscapeString(l)) {
				t.Errorf("%s: the loss %q is not on the page", r.Result.Scenario, l)
			}
		}
		for _, c := range r.Result.Comparisons {
			if !strings.Contains(page, fmt.Sprintf("%d (%.1f%%)", c.Matched, 100*c.Completeness())) {
				t.Errorf("%s: the requests matched (%d) are not on the page", r.Result.Scenario, c.Matched)
			}
		}
		for _, p := range r.Result.Validation {
			if !strings.Contains(page, html.EscapeString(p.Error())) {
				t.Errorf("%s: the refusal %q is not on the page", r.Result.Scenario, p.Error())
			}
		}
	}
	// a lost session is drawn dashed
	_, doc := render(t, runs[3:4])
	lost := find(doc, byClass("lost"))
	if runs[3].Result.Scenario != "nacl-blocks-vxlan" || len(lost) == 0 {
		t.Fatalf("%s: no lost marks", runs[3].Result.Scenario)
	}
}

// TestWriteFetchesNothing: the page is self-contained.
func TestWriteFetchesNothing(t *testing.T) {
	page, doc := render(t, fixture(t))
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject":
			t.Errorf("element <%s> in the page", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "src", a.Key == "srcset", a.Key == "xlink:href":
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "#"):
				t.Errorf("<%s href=%q> leaves the page", n.Data, a.Val)
			case strings.Contains(a.Val, "url(") && !strings.HasPrefix(a.Val, "url(#"):
				t.Errorf("<%s %s=%q> fetches", n.Data, a.Key, a.Val)
			}
		}
	}
	for _, bad := range []string{"@import", "@font-face", "url(http", "url(//"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
}

// TestWriteEscapesHostileNames: names and texts from a scenario file or a
// program's output are text on the page, never markup.
func TestWriteEscapesHostileNames(t *testing.T) {
	const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	eni := func(name, subnet, ip string) cloudmock.NetworkInterface {
		return cloudmock.NetworkInterface{NetworkInterfaceId: name, SubnetId: subnet, PrivateIpAddress: ip}
	}
	vni := 7
	s := &spec.Scenario{Name: evil, Description: "</style>" + evil}
	s.Network.VPCs.List = []cloudmock.Vpc{{VpcId: "vpc" + evil}}
	s.Network.VPCs.Subnets = []cloudmock.Subnet{{SubnetId: "a" + evil, VpcId: "vpc" + evil}, {SubnetId: "b", VpcId: "vpc" + evil}}
	s.Network.VPCs.SubnetACLs = []string{"", ""}
	s.Network.Instances.List = []spec.Instance{
		{Name: "src" + evil, NetworkInterfaces: []cloudmock.NetworkInterface{eni("src-eni"+evil, "a"+evil, "10.0.0.5")}},
		{Name: "dst", NetworkInterfaces: []cloudmock.NetworkInterface{eni("dst-eni", "b", "10.0.0.20")}},
	}
	s.Mirror = spec.Mirror{
		Targets:  []cloudmock.TrafficMirrorTarget{{TrafficMirrorTargetId: "t" + evil, NetworkInterfaceId: "dst-eni"}},
		Sessions: []cloudmock.TrafficMirrorSession{{TrafficMirrorSessionId: "sess" + evil, NetworkInterfaceId: "src-eni" + evil, TrafficMirrorTargetId: "t" + evil, TrafficMirrorFilterId: "f" + evil, SessionNumber: 1, VirtualNetworkId: &vni}},
	}
	res := &report.Result{
		Scenario: evil, File: "evil.yaml" + evil, Error: evil,
		Expectations: []report.Verdict{{Name: evil, Want: evil, Observed: evil, Detail: evil}},
		Programs:     []report.ProgramResult{{Name: "p", Kind: "command", OutputTail: "</pre>" + evil}},
		Losses:       []string{evil},
	}
	page, doc := render(t, []Run{{Scenario: s, Result: res}})
	if n := find(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "img" }); len(n) > 0 {
		t.Fatalf("hostile names became elements: <%s>", n[0].Data)
	}
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Fatalf("hostile names became an attribute: <%s %s>", n.Data, a.Key)
			}
		}
	}
	g := sessionGroups(doc)
	if _, ok := g["sess"+evil]; !ok {
		t.Fatalf("the session's name does not survive as an attribute value; page:\n%s", page)
	}
	if !strings.Contains(text(doc), "src-eni"+evil[:10]) {
		t.Error("the ENI's name is not shown as text")
	}
}

func TestWriteNeedsResults(t *testing.T) {
	if err := write(&bytes.Buffer{}, []Run{{}}); err == nil {
		t.Fatal("a run without a result was accepted")
	}
}

// TestWriteShowsResponsesPerEndpoint checks the shadow-testing card: one
// per comparing agent, a row per endpoint with its counts, its
// regressions by kind and its differing fields, marked when it differs.
func TestWriteShowsResponsesPerEndpoint(t *testing.T) {
	runs := fixture(t)
	_, doc := render(t, runs)
	sections := find(doc, func(n *html.Node) bool { return n.Data == "section" && hasClass(n, "run") })
	cells := func(row *html.Node) []string {
		var out []string
		for _, td := range find(row, func(n *html.Node) bool { return n.Data == "td" }) {
			out = append(out, strings.TrimSpace(text(td)))
		}
		return out
	}
	sawRegression := false
	for i, r := range runs {
		cards := find(sections[i], byClass("responses"))
		var agents []report.ProgramResult
		for _, p := range r.Result.Programs {
			if p.Compare != nil {
				agents = append(agents, p)
			}
		}
		if len(cards) != len(agents) {
			t.Errorf("%s: %d responses cards, want %d", r.Result.Scenario, len(cards), len(agents))
			continue
		}
		for k, p := range agents {
			card := cards[k]
			if a, _ := attr(card, "data-agent"); a != p.Name {
				t.Errorf("%s: responses card of %q, want %q", r.Result.Scenario, a, p.Name)
			}
			rows := find(card, byClass("endpoint"))
			if len(rows) != len(p.Compare.Endpoints) {
				t.Fatalf("%s: %d endpoint rows, want %d", r.Result.Scenario, len(rows), len(p.Compare.Endpoints))
			}
			for j, e := range p.Compare.Endpoints {
				c := cells(rows[j])
				wantCells := []string{e.Endpoint, num(e.Compared), num(e.Identical), num(e.Noise), num(e.Different),
					num(e.DifferentBy["status"]), num(e.DifferentBy["header"]), num(e.DifferentBy["body"]),
					fmt.Sprintf("%.2f / %.2f", e.ProdP50ms, e.ProdP99ms), fmt.Sprintf("%.2f / %.2f", e.TestP50ms, e.TestP99ms)}
				if len(c) != len(wantCells)+1 || strings.Join(c[:len(wantCells)], "|") != strings.Join(wantCells, "|") {
					t.Errorf("%s: row %q, want %q", r.Result.Scenario, c, wantCells)
					continue
				}
				if hasClass(rows[j], "fail") != (e.Different > 0) {
					t.Errorf("%s %s: marked failed %v with %d different", r.Result.Scenario, e.Endpoint, hasClass(rows[j], "fail"), e.Different)
				}
				for _, f := range e.Fields {
					if !strings.Contains(c[len(c)-1], f.Field) {
						t.Errorf("%s %s: the differing field %s is not shown (%q)", r.Result.Scenario, e.Endpoint, f.Field, c[len(c)-1])
					}
				}
				if e.Different > 0 {
					sawRegression = true
				}
			}
		}
	}
	if !sawRegression {
		t.Fatal("the fixture has no endpoint that differs (shadow-regression's should)")
	}
	// shadow-regression: a 500 counts as a status difference, the changed
	// name as a body difference
	sec := sections[len(sections)-1]
	for _, tc := range []struct{ endpoint, status, body, field string }{
		{"POST /api/orders", "25", "0", "status"},
		{"GET /api/user/{id}", "0", "25", "body .name"},
	} {
		rows := find(sec, func(n *html.Node) bool { v, _ := attr(n, "data-endpoint"); return v == tc.endpoint })
		if len(rows) != 1 {
			t.Fatalf("shadow-regression: %d rows for %s", len(rows), tc.endpoint)
		}
		c := cells(rows[0])
		if c[5] != tc.status || c[7] != tc.body || !strings.Contains(c[10], tc.field) {
			t.Errorf("shadow-regression %s: %q", tc.endpoint, c)
		}
	}
}

// TestWriteDrawsPeerings: a scenario with several VPCs draws each VPC in
// its own box, and each peering as a bracket joining its two VPCs' boxes
// (named in both boxes' titles).
func TestWriteDrawsPeerings(t *testing.T) {
	s, err := scenarios.Load("central-inspection")
	if err != nil {
		t.Fatal(err)
	}
	_, doc := render(t, []Run{{Scenario: s, Result: &report.Result{Scenario: s.Name, File: s.File}}})
	boxes := map[string]*html.Node{}
	for _, g := range find(doc, byClass("vpc-group")) {
		name, _ := attr(g, "data-vpc")
		boxes[name] = g
	}
	if len(boxes) != 3 {
		t.Fatalf("%d VPC boxes, want 3", len(boxes))
	}
	for vpc, want := range map[string]string{"app-a": "peered with inspection", "app-b": "peered with inspection", "inspection": "peered with app-a, app-b"} {
		title := text(find(boxes[vpc], byClass("vpc-title"))[0])
		if !strings.Contains(title, want) {
			t.Errorf("VPC %s title %q lacks %q", vpc, title, want)
		}
	}
	rectOf := func(vpc string) (x, y int) {
		r := find(boxes[vpc], byClass("vpc"))[0]
		xs, _ := attr(r, "x")
		ys, _ := attr(r, "y")
		fmt.Sscan(xs, &x)
		fmt.Sscan(ys, &y)
		return x, y
	}
	links := find(doc, byClass("peering"))
	if len(links) != 2 {
		t.Fatalf("%d peering brackets, want 2", len(links))
	}
	for _, g := range links {
		name, _ := attr(g, "data-peering")
		d, _ := attr(find(g, byClass("peering-link"))[0], "d")
		var x1, y1, gx, y2, x2 int
		if _, err := fmt.Sscanf(d, "M%d,%d H%d V%d H%d", &x1, &y1, &gx, &y2, &x2); err != nil {
			t.Fatalf("peering %s path %q: %v", name, d, err)
		}
		from := strings.TrimPrefix(name, "pcx-")
		ax, ay := rectOf(from)
		bx, by := rectOf("inspection")
		if x1 != ax || x2 != bx || gx >= ax || gx <= 0 || y1 < ay || y1 > ay+vpcHeader || y2 < by || y2 > by+vpcHeader {
			t.Errorf("peering %s path %q does not join %s (%d,%d) and inspection (%d,%d) through the gutter", name, d, from, ax, ay, bx, by)
		}
		if !strings.Contains(text(g), "VPC peering connection "+name) {
			t.Errorf("peering %s has no title", name)
		}
	}
}

func TestWriteNamesTransitGateways(t *testing.T) {
	s, err := scenarios.Load("central-inspection-tgw")
	if err != nil {
		t.Fatal(err)
	}
	_, doc := render(t, []Run{{Scenario: s, Result: &report.Result{Scenario: s.Name, File: s.File}}})
	titles := find(doc, byClass("vpc-title"))
	if len(titles) != 3 {
		t.Fatalf("%d VPC titles, want 3", len(titles))
	}
	for _, ti := range titles {
		if !strings.Contains(text(ti), "attached to transit gateway hub") {
			t.Errorf("VPC title %q does not name the transit gateway", text(ti))
		}
	}
}
