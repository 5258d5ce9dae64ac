package htmlreport

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/report"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// Geometry of the topology drawing, in SVG user units (CSS pixels).
const (
	margin      = 16
	vpcPad      = 14
	vpcHeader   = 34
	colW        = 240
	colGap      = 176 // room for the session arrows and their labels
	subHeader   = 44
	instHeader  = 26
	pillH       = 22
	pillGap     = 6
	boxGap      = 14
	vpcGap      = 24
	labelMax    = 26 // characters of a name shown before an ellipsis
	loopReach   = 40 // how far an arrow between two boxes of one column swings out
	loopReachBy = 16
	labelLine   = 13 // line height of an arrow's label
	labelBlock  = 3*labelLine + 6
)

// palette colours the sessions, in order.
var palette = []string{"#2563eb", "#c2410c", "#059669", "#9333ea", "#0e7490", "#be185d", "#4d7c0f", "#b45309"}

type box struct{ X, Y, W, H int }

// topoView is the drawing of one scenario's network.
type topoView struct {
	Width, Height int
	// OffsetY shifts the drawing down to make room for labels above it.
	OffsetY  int
	VPCs     []vpcBox
	Arrows   []arrowView
	Links    []linkView
	Peerings []peeringView
}

type vpcBox struct {
	box
	Name, CIDR string
	// Peers says whom the VPC is joined to: "peered with a, b; attached to
	// transit gateway hub" ("" for none).
	Peers   string
	Subnets []subnetBox
}

// peeringView is a VPC peering connection: a bracket in the left gutter
// between the two VPCs' boxes.
type peeringView struct{ Name, Title, Path string }

// Room in the left gutter per peering bracket.
const (
	peerGutter = 14
	peerStep   = 10
)

type subnetBox struct {
	box
	Name, CIDR, ACL string
	Instances       []instBox
	LBs             []lbBox
}

type instBox struct {
	box
	Name, Label string
	ENIs        []pillView
	Programs    []progLine
}

// progLine is a program that runs on an instance, one line of its box.
type progLine struct {
	Text, Title string
	Y           int
}

type pillView struct {
	box
	Name, Label, Addr, Title string
	// Role is "source", "target" or "" (CSS class).
	Role string
}

type lbBox struct {
	box
	Name, Label, Kind, Addr, Detail string
}

// arrowView is one mirror session from one source to its target.
type arrowView struct {
	Session, Title, Color, Marker string
	Path                          string
	LX, LY                        int
	Line1, Line2, Line3           string
	Lost                          bool
	Anchor                        string // text-anchor of the label
	from, to                      anchor
}

// linkView joins a load balancer to one of its registered targets.
type linkView struct{ Path string }

// anchor is where an arrow may start or end: a pill's or a box's edges.
type anchor struct{ left, right, y int }

func short(s string) string {
	r := []rune(s)
	if len(r) <= labelMax {
		return s
	}
	return string(r[:labelMax-1]) + "…"
}

// layout places the scenario's network and its sessions.
func layout(s *spec.Scenario, res *report.Result) topoView {
	var v topoView
	p := newPlacer(s)
	y, left := margin, margin
	if n := len(s.Network.VPCPeeringConnections.List); n > 0 {
		left += peerGutter + n*peerStep
	}
	peers := peersOf(s)
	for _, vpc := range s.Network.VPCs.List {
		vb := p.placeVPC(vpc, peers[vpc.VpcId], left, y)
		v.VPCs = append(v.VPCs, vb)
		v.Width = max(v.Width, vb.X+vb.W+margin)
		y += vb.H + vpcGap
	}
	v.Height = y - vpcGap + margin
	v.Peerings = peeringBrackets(s, v.VPCs)
	v.Links = lbLinks(s, p.anchors)
	v.Arrows = sessionArrows(s, res, p.anchors)
	v.makeRoomForLabels()
	return v
}

// placer places the boxes of one scenario's network, recording where
// arrows may start and end.
type placer struct {
	s        *spec.Scenario
	anchors  map[string]anchor // ENI and load balancer names
	roles    map[string]string
	subnetOf map[string]string // "i/" + instance name -> its first ENI's subnet
}

func newPlacer(s *spec.Scenario) *placer {
	p := &placer{s: s, anchors: map[string]anchor{}, roles: sessionRoles(s), subnetOf: map[string]string{}}
	for _, in := range s.Network.Instances.List {
		if len(in.NetworkInterfaces) > 0 {
			p.subnetOf["i/"+in.Name] = in.NetworkInterfaces[0].SubnetId
		}
	}
	return p
}

// placeVPC places a VPC's box at (left, y) with its subnets side by side,
// all as tall as the tallest.
func (p *placer) placeVPC(vpc cloudmock.Vpc, peers string, left, y int) vpcBox {
	vb := vpcBox{Name: vpc.VpcId, CIDR: vpc.CidrBlock, Peers: peers}
	vb.X, vb.Y = left, y
	x := left + vpcPad
	maxH := 0
	vs := &p.s.Network.VPCs
	for k, sn := range vs.Subnets {
		if sn.VpcId != vpc.VpcId {
			continue
		}
		sb := p.placeSubnet(sn, vs.SubnetACLs[k], x, y+vpcHeader)
		maxH = max(maxH, sb.H)
		vb.Subnets = append(vb.Subnets, sb)
		x += colW + colGap
	}
	for i := range vb.Subnets {
		vb.Subnets[i].H = maxH
	}
	vb.W = x - colGap + vpcPad - left
	if len(vb.Subnets) == 0 {
		vb.W = colW + 2*vpcPad
	}
	vb.W = max(vb.W, titleWidth(vb))
	vb.H = vpcHeader + maxH + vpcPad
	return vb
}

// placeSubnet places a subnet's column at (x, y): its instances, then its
// load balancers.
func (p *placer) placeSubnet(sn cloudmock.Subnet, acl string, x, y int) subnetBox {
	sb := subnetBox{Name: sn.SubnetId, CIDR: sn.CidrBlock, ACL: acl}
	sb.X, sb.Y, sb.W = x, y, colW
	cy := sb.Y + subHeader
	for _, in := range p.s.Network.Instances.List {
		if p.subnetOf["i/"+in.Name] != sn.SubnetId {
			continue
		}
		ib := placeInstance(p.s, in, x+10, cy, colW-20, p.roles, p.anchors)
		sb.Instances = append(sb.Instances, ib)
		cy += ib.H + boxGap
	}
	for i, lb := range p.s.Network.LoadBalancers.List {
		if lb.SubnetId != sn.SubnetId {
			continue
		}
		lv := placeLB(p.s, lb, p.s.Network.LoadBalancers.Lab[i], x+10, cy, colW-20)
		p.anchors[lb.LoadBalancerArn] = anchor{left: lv.X, right: lv.X + lv.W, y: lv.Y + 16}
		sb.LBs = append(sb.LBs, lv)
		cy += lv.H + boxGap
	}
	sb.H = cy - sb.Y
	if sb.H < subHeader+20 {
		sb.H = subHeader + 20
	}
	return sb
}

// makeRoomForLabels enlarges the drawing for the arrows' labels.
func (v *topoView) makeRoomForLabels() {
	// labels stacked above the first box or below the last one enlarge
	// the drawing (and shift it down)
	top, bottom := 0, v.Height
	for _, a := range v.Arrows {
		top = min(top, a.LY-labelLine)
		bottom = max(bottom, a.LY+2*labelLine+6)
	}
	v.OffsetY = -top
	v.Height = bottom - top
	// arrows that swing out of the last column need room on the right
	for _, a := range v.Arrows {
		if a.Anchor == "start" {
			v.Width = max(v.Width, a.LX+8*len([]rune(a.Line1))+margin)
		}
	}
}

// titleWidth is about how wide a VPC's title line is (14 px bold name,
// 11 px CIDR and peers), so that a narrow box still holds it.
func titleWidth(vb vpcBox) int {
	w := 14 + 9*len([]rune("VPC "+vb.Name)) + 6 + 7*len(vb.CIDR) + 14
	if vb.Peers != "" {
		w += 6 + 7*len([]rune("· "+vb.Peers))
	}
	return w
}

// peersOf says, per VPC, whom it is joined to: the VPCs it is peered
// with, the transit gateways it is attached to, in file order.
func peersOf(s *spec.Scenario) map[string]string {
	peers, tgws := map[string][]string{}, map[string][]string{}
	for _, pc := range s.Network.VPCPeeringConnections.List {
		a, b := pc.RequesterVpcInfo.VpcId, pc.AccepterVpcInfo.VpcId
		peers[a] = append(peers[a], b)
		peers[b] = append(peers[b], a)
	}
	for _, a := range s.Network.TransitGateways.Attachments {
		tgws[a.VpcId] = append(tgws[a.VpcId], a.TransitGatewayId)
	}
	out := map[string]string{}
	for _, v := range s.Network.VPCs.List {
		var parts []string
		if p := peers[v.VpcId]; len(p) > 0 {
			parts = append(parts, "peered with "+strings.Join(p, ", "))
		}
		if g := tgws[v.VpcId]; len(g) > 0 {
			parts = append(parts, "attached to transit gateway "+strings.Join(g, ", "))
		}
		out[v.VpcId] = strings.Join(parts, "; ")
	}
	return out
}

// peeringBrackets joins the boxes of each peering's two VPCs through the
// left gutter, each peering on its own track.
func peeringBrackets(s *spec.Scenario, vpcs []vpcBox) []peeringView {
	at := map[string]vpcBox{}
	for _, vb := range vpcs {
		at[vb.Name] = vb
	}
	var out []peeringView
	for k, pc := range s.Network.VPCPeeringConnections.List {
		a, okA := at[pc.RequesterVpcInfo.VpcId]
		b, okB := at[pc.AccepterVpcInfo.VpcId]
		if !okA || !okB {
			continue
		}
		gx := a.X - peerGutter/2 - k*peerStep
		ya, yb := a.Y+vpcHeader/2+k*4, b.Y+vpcHeader/2+k*4
		out = append(out, peeringView{Name: pc.VpcPeeringConnectionId,
			Title: fmt.Sprintf("VPC peering connection %s: %s (%s) and %s (%s) route each other's CIDR through it", pc.VpcPeeringConnectionId, a.Name, a.CIDR, b.Name, b.CIDR),
			Path:  fmt.Sprintf("M%d,%d H%d V%d H%d", a.X, ya, gx, yb, b.X)})
	}
	return out
}

// sessionRoles marks the interfaces that are a session's source or target.
func sessionRoles(s *spec.Scenario) map[string]string {
	roles := map[string]string{}
	targets := map[string]cloudmock.TrafficMirrorTarget{}
	for _, t := range s.Mirror.Targets {
		targets[t.TrafficMirrorTargetId] = t
	}
	for _, ss := range s.Mirror.Sessions {
		for _, src := range sources(ss) {
			roles[src] = "source"
		}
		if t, ok := targets[ss.TrafficMirrorTargetId]; ok && t.NetworkInterfaceId != "" {
			roles[t.NetworkInterfaceId] = "target"
		}
	}
	return roles
}

func sources(ss cloudmock.TrafficMirrorSession) []string {
	out := []string{}
	if ss.NetworkInterfaceId != "" {
		out = append(out, ss.NetworkInterfaceId)
	}
	return append(out, ss.TrafficMirrorSourceIds...)
}

func placeInstance(s *spec.Scenario, in spec.Instance, x, y, w int, roles map[string]string, anchors map[string]anchor) instBox {
	ib := instBox{Name: in.Name, Label: short(in.Name)}
	ib.X, ib.Y, ib.W = x, y, w
	py := y + instHeader
	for j, e := range in.NetworkInterfaces {
		name, addr := e.NetworkInterfaceId, e.PrivateIpAddress
		if addr == "" {
			if a, ok := s.Addr(name); ok {
				addr = a.String()
			}
		}
		title := fmt.Sprintf("%s (%s, eth%d) in subnet %s", name, addr, j, e.SubnetId)
		if e.Mtu != 0 {
			title += fmt.Sprintf(", MTU %d", e.Mtu)
		}
		p := pillView{Name: name, Label: short(name), Addr: addr, Title: title, Role: roles[name]}
		p.X, p.Y, p.W, p.H = x+8, py, w-16, pillH
		anchors[name] = anchor{left: p.X, right: p.X + p.W, y: p.Y + pillH/2}
		ib.ENIs = append(ib.ENIs, p)
		py += pillH + pillGap
	}
	for _, p := range s.Programs {
		if p.Instance != in.Name {
			continue
		}
		kind := p.Builtin
		if kind == "" && len(p.Command) > 0 {
			kind = p.Command[0]
		}
		py += 14
		ib.Programs = append(ib.Programs, progLine{Text: "▸ " + short(p.Name) + " · " + short(kind), Title: p.Name + ": " + strings.Join(append([]string{kind}, p.Args...), " "), Y: py})
	}
	if len(ib.Programs) > 0 {
		py += 6
	}
	ib.H = py - y + 4
	return ib
}

func placeLB(s *spec.Scenario, lb cloudmock.LoadBalancer, lab spec.LoadBalancerLab, x, y, w int) lbBox {
	kind := "NLB"
	if lb.Type == "gateway" {
		kind = "GWLB endpoint"
	}
	addr := ""
	if lb.PrivateIpAddress != "" {
		addr = lb.PrivateIpAddress
	} else if a, ok := s.Addr(lb.LoadBalancerArn); ok {
		addr = a.String()
	}
	var ls []string
	if lab.DefaultListeners {
		ls = []string{"UDP 4789"}
	}
	for _, l := range lb.Listeners {
		ls = append(ls, l.Protocol+" "+strconv.Itoa(l.Port))
	}
	detail := "no listener"
	if len(ls) > 0 {
		detail = "listens " + strings.Join(ls, ", ")
	}
	b := lbBox{Name: lb.LoadBalancerArn, Label: short(lb.LoadBalancerArn), Kind: kind, Addr: addr, Detail: detail}
	b.X, b.Y, b.W, b.H = x, y, w, 52
	return b
}

// lbLinks joins each load balancer to its registered targets.
func lbLinks(s *spec.Scenario, anchors map[string]anchor) []linkView {
	var out []linkView
	for _, lb := range s.Network.LoadBalancers.List {
		a, ok := anchors[lb.LoadBalancerArn]
		if !ok {
			continue
		}
		for _, t := range lb.Targets {
			id := t.NetworkInterfaceId
			if _, isENI := anchors[id]; !isENI {
				id = s.FirstENI(id)
			}
			b, ok := anchors[id]
			if !ok {
				continue
			}
			out = append(out, linkView{Path: fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d",
				a.right, a.y+18, a.right+36, a.y+18, b.right+36, b.y, b.right, b.y)})
		}
	}
	return out
}

// sessionArrows draws each session from each of its sources to its target.
func sessionArrows(s *spec.Scenario, res *report.Result, anchors map[string]anchor) []arrowView {
	targets := map[string]cloudmock.TrafficMirrorTarget{}
	for _, t := range s.Mirror.Targets {
		targets[t.TrafficMirrorTargetId] = t
	}
	counters := map[string]report.SessionResult{}
	if res != nil {
		for _, sr := range res.Sessions {
			counters[sr.Name] = sr
		}
	}
	var out []arrowView
	for i, ss := range s.Mirror.Sessions {
		t := targets[ss.TrafficMirrorTargetId]
		dst := cmp.Or(t.NetworkInterfaceId, t.NetworkLoadBalancerArn, t.GatewayLoadBalancerEndpointId)
		b, ok := anchors[dst]
		if !ok {
			continue
		}
		color := palette[i%len(palette)]
		c, ran := counters[ss.TrafficMirrorSessionId]
		vni := ""
		switch {
		case ran:
			vni = fmt.Sprintf("VNI %d", c.VNI)
		case ss.VirtualNetworkId != nil:
			vni = fmt.Sprintf("VNI %d", *ss.VirtualNetworkId)
		default:
			vni = "VNI random"
		}
		line2 := vni + " · filter " + short(ss.TrafficMirrorFilterId)
		line3, lost := "not run", uint64(0)
		if ran {
			lost = c.Packets - min(c.Packets, c.Delivery[cloudmock.Delivered.String()])
			line3 = num(c.Packets) + " packets mirrored"
			if lost > 0 {
				line3 += ", " + num(lost) + " lost"
			}
		}
		for _, src := range sources(ss) {
			a, ok := anchors[src]
			if !ok {
				continue
			}
			av := arrowView{
				Session: ss.TrafficMirrorSessionId, Color: color, Marker: fmt.Sprintf("m%d", i%len(palette)),
				Line1: short(ss.TrafficMirrorSessionId) + fmt.Sprintf(" (#%d)", ss.SessionNumber), Line2: line2, Line3: line3, Lost: lost > 0,
				Title: fmt.Sprintf("session %s (number %d): %s -> target %s (%s), %s, filter %s",
					ss.TrafficMirrorSessionId, ss.SessionNumber, src, ss.TrafficMirrorTargetId, dst, vni, ss.TrafficMirrorFilterId),
				from: a, to: b,
			}
			if lost > 0 {
				av.Title += fmt.Sprintf("; %d mirrored packets not delivered", lost)
			}
			out = append(out, av)
		}
	}
	placeLabels(out)
	return out
}

// Which way an arrow leaves its source.
const (
	toRight = iota
	toLeft
	loop // source and target in one column: it swings out to the right
)

func direction(a, b anchor) int {
	switch {
	case b.left >= a.right:
		return toRight
	case b.right <= a.left:
		return toLeft
	default:
		return loop
	}
}

// placeLabels routes the arrows and places their labels in the gap beside
// the source, on the side the arrow leaves by. Several arrows leaving one
// interface the same way get their labels stacked above and below the
// arrows, in the order of their targets' heights, so that the label of an
// arrow that goes up is above the one of an arrow that goes down.
func placeLabels(arrows []arrowView) {
	type side struct {
		a   anchor
		dir int
	}
	groups := map[side][]int{}
	var order []side
	for i, av := range arrows {
		k := side{av.from, direction(av.from, av.to)}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		g := groups[k]
		sort.SliceStable(g, func(x, y int) bool { return arrows[g[x]].to.y < arrows[g[y]].to.y })
		above := (len(g) + 1) / 2
		same, seen := map[anchor]int{}, map[anchor]int{}
		for _, i := range g {
			same[arrows[i].to]++
		}
		for j, i := range g {
			av := &arrows[i]
			// fan out the arrows between the same two interfaces, so that
			// two sessions are two arrows
			bend := (2*seen[av.to] - (same[av.to] - 1)) * fanOut / 2
			seen[av.to]++
			av.Path, av.LX, av.Anchor = route(av.from, av.to, j, bend)
			if j < above { // ly is the first line's baseline
				av.LY = av.from.y - 8 - (above-1-j)*labelBlock - 2*labelLine
			} else {
				av.LY = av.from.y + 8 + labelLine - 2 + (j-above)*labelBlock
			}
		}
	}
}

// arrowTip is the length of an arrow's head.
const arrowTip = 10

// route is an arrow's path from a to b and its label's x; k is its place
// among the arrows that leave a the same way.
func route(a, b anchor, k, bend int) (path string, lx int, textAnchor string) {
	var sx, ex, c1, c2 int
	switch direction(a, b) {
	case toRight:
		sx, ex = a.right, b.left-arrowTip
		c1, c2 = sx+(ex-sx)/2, ex-(ex-sx)/2
		lx, textAnchor = sx+colGap/2, "middle"
	case toLeft:
		sx, ex = a.left, b.right+arrowTip
		c1, c2 = sx-(sx-ex)/2, ex+(sx-ex)/2
		lx, textAnchor = sx-colGap/2, "middle"
	default:
		reach := loopReach + k*loopReachBy
		sx, ex = a.right, b.right+arrowTip
		c1, c2 = sx+reach, ex+reach
		lx, textAnchor = max(sx, ex)+reach*3/4+6, "start"
	}
	return fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", sx, a.y, c1, a.y+bend, c2, b.y+bend, ex, b.y), lx, textAnchor
}

// fanOut is how far apart the arrows of one group bend.
const fanOut = 16
