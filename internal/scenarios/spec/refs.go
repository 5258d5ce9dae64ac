package spec

import (
	"fmt"
	"net/netip"
	"regexp"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// refs resolves the names a scenario uses to refer to its resources.
type refs struct {
	vpcs      map[string]*cloudmock.Vpc
	peerings  map[string]*cloudmock.VpcPeeringConnection
	tgws      map[string]*cloudmock.TransitGateway
	subnets   map[string]subnetRef
	acls      map[string]*cloudmock.NetworkAcl
	sgs       map[string]*cloudmock.SecurityGroup
	instances map[string]*Instance
	enis      map[string]eniRef
	lbs       map[string]*cloudmock.LoadBalancer
	filters   map[string]*cloudmock.TrafficMirrorFilter
	targets   map[string]*cloudmock.TrafficMirrorTarget
	sessions  map[string]*cloudmock.TrafficMirrorSession
	programs  map[string]*Program
	traffic   map[string]*Traffic
	// paths gives the document path of each resource by "Kind/name", the
	// kinds being cloudmock's resource names (Subnet, TrafficMirrorSession…).
	paths map[string]string
	// groups holds the names taken in each namespace: instances, network
	// interfaces and load balancers share one (traffic names any of them as
	// a destination); every other kind has its own.
	groups map[string]string
}

// subnetRef is a subnet with its VPC and its blocks, parsed.
type subnetRef struct {
	vpc         *cloudmock.Vpc
	sub         *cloudmock.Subnet
	cidr, cidr6 netip.Prefix
}

type eniRef struct {
	inst  *Instance
	eni   *cloudmock.NetworkInterface
	index int // position in the instance: interface eth<index>
}

// nameRE is what a resource name may look like.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}$`)

func buildRefs(s *Scenario, c *problems) *refs {
	r := &refs{
		vpcs: map[string]*cloudmock.Vpc{}, peerings: map[string]*cloudmock.VpcPeeringConnection{}, tgws: map[string]*cloudmock.TransitGateway{}, subnets: map[string]subnetRef{}, acls: map[string]*cloudmock.NetworkAcl{},
		sgs: map[string]*cloudmock.SecurityGroup{}, instances: map[string]*Instance{}, enis: map[string]eniRef{},
		lbs: map[string]*cloudmock.LoadBalancer{}, filters: map[string]*cloudmock.TrafficMirrorFilter{}, targets: map[string]*cloudmock.TrafficMirrorTarget{},
		sessions: map[string]*cloudmock.TrafficMirrorSession{}, programs: map[string]*Program{}, traffic: map[string]*Traffic{},
		paths: map[string]string{}, groups: map[string]string{},
	}
	r.addNetwork(c, &s.Network)
	m := &s.Mirror
	addEach(r, c, "mirror filter", "mirror.filters", m.Filters, func(f *filter) string { return f.TrafficMirrorFilterId }, r.filters)
	addEach(r, c, "mirror target", "mirror.targets", m.Targets, func(t *target) string { return t.TrafficMirrorTargetId }, r.targets)
	addEach(r, c, "mirror session", "mirror.sessions", m.Sessions, func(ss *session) string { return ss.TrafficMirrorSessionId }, r.sessions)
	// programs and traffic steps have namespaces of their own
	r.addPrograms(c, s.Programs)
	r.addTraffic(c, s.Traffic)
	return r
}

// add registers the name of a resource of kind (a word of kindKeys) at
// path, reporting a missing, malformed or already used name; it reports
// whether the name was free.
func (r *refs) add(c *problems, kind, path, name string) bool {
	if name == "" {
		c.at(path, "%s has no name", kind)
		return false
	}
	if !nameRE.MatchString(name) {
		c.at(path+".name", "%s name %q: use letters, digits and _ . : / - (at most 63)", kind, name)
		return false
	}
	group := kindKeys[kind]
	if group == "Instance" || group == "NetworkInterface" || group == "LoadBalancer" {
		group = "host"
	}
	if prev, dup := r.groups[group+"/"+name]; dup {
		l, _ := c.s.pos.lookup(prev)
		c.at(path+".name", "name %q is already used (line %d)", name, l)
		return false
	}
	r.groups[group+"/"+name] = path
	r.paths[kindKeys[kind]+"/"+name] = path
	return true
}

// addEach registers each resource of list, at path prefix[i], and when its
// name was free, records it in m.
func addEach[T any](r *refs, c *problems, kind, prefix string, list []T, name func(*T) string, m map[string]*T) {
	for i := range list {
		if x := &list[i]; r.add(c, kind, fmt.Sprintf("%s[%d]", prefix, i), name(x)) {
			m[name(x)] = x
		}
	}
}

// addNetwork registers the resources of the network section.
func (r *refs) addNetwork(c *problems, n *Network) {
	v := &n.VPCs
	addEach(r, c, "VPC", "network.vpcs", v.List, func(x *cloudmock.Vpc) string { return x.VpcId }, r.vpcs)
	for k := range v.Subnets {
		sn := &v.Subnets[k]
		if r.add(c, "subnet", v.places.path(placeKey{"Subnet", k, ""}, nil), sn.SubnetId) {
			cidr, _ := netip.ParsePrefix(sn.CidrBlock) // valid or empty: decoded
			cidr6, _ := netip.ParsePrefix(sn.Ipv6CidrBlock)
			r.subnets[sn.SubnetId] = subnetRef{vpc: &v.List[v.parent[k]], sub: sn, cidr: cidr, cidr6: cidr6}
		}
	}
	addEach(r, c, "VPC peering connection", "network.vpcPeeringConnections", n.VPCPeeringConnections.List,
		func(pc *cloudmock.VpcPeeringConnection) string { return pc.VpcPeeringConnectionId }, r.peerings)
	tg := &n.TransitGateways
	addEach(r, c, "transit gateway", "network.transitGateways", tg.List,
		func(g *cloudmock.TransitGateway) string { return g.TransitGatewayId }, r.tgws)
	for k, a := range tg.Attachments {
		r.add(c, "transit gateway attachment", tg.places.path(placeKey{"TransitGatewayVpcAttachment", k, ""}, nil), a.TransitGatewayAttachmentId)
	}
	addEach(r, c, "network ACL", "network.networkAcls", n.NetworkAcls.List, func(a *cloudmock.NetworkAcl) string { return a.NetworkAclId }, r.acls)
	addEach(r, c, "security group", "network.securityGroups", n.SecurityGroups.List, func(g *cloudmock.SecurityGroup) string { return g.GroupId }, r.sgs)
	for i := range n.Instances.List {
		in := &n.Instances.List[i]
		p := fmt.Sprintf("network.instances[%d]", i)
		if r.add(c, "instance", p, in.Name) {
			r.instances[in.Name] = in
		}
		for j := range in.NetworkInterfaces {
			e := &in.NetworkInterfaces[j]
			if r.add(c, "network interface", fmt.Sprintf("%s.networkInterfaces[%d]", p, j), e.NetworkInterfaceId) {
				r.enis[e.NetworkInterfaceId] = eniRef{inst: in, eni: e, index: j}
			}
		}
	}
	addEach(r, c, "load balancer", "network.loadBalancers", n.LoadBalancers.List, func(lb *cloudmock.LoadBalancer) string { return lb.LoadBalancerArn }, r.lbs)
}

// addPrograms registers the programs' names, in a namespace of their own.
func (r *refs) addPrograms(c *problems, programs []Program) {
	for i := range programs {
		pr := &programs[i]
		p := fmt.Sprintf("programs[%d]", i)
		switch _, dup := r.programs[pr.Name]; {
		case pr.Name == "":
			c.at(p, "program has no name")
		case dup:
			c.at(p+".name", "program name %q is already used", pr.Name)
		default:
			r.programs[pr.Name] = pr
		}
	}
}

// addTraffic registers the traffic steps' names, in a namespace of their
// own; a step's name is optional.
func (r *refs) addTraffic(c *problems, traffic []Traffic) {
	for i := range traffic {
		t := &traffic[i]
		if t.Name == "" {
			continue // optional: named in reports by its index
		}
		if _, dup := r.traffic[t.Name]; dup {
			c.at(fmt.Sprintf("traffic[%d].name", i), "traffic name %q is already used", t.Name)
			continue
		}
		r.traffic[t.Name] = t
	}
}

// kindKeys maps the words used in messages to cloudmock's resource names.
var kindKeys = map[string]string{
	"VPC": "Vpc", "VPC peering connection": "VpcPeeringConnection", "subnet": "Subnet",
	"transit gateway": "TransitGateway", "transit gateway attachment": "TransitGatewayVpcAttachment", "network ACL": "NetworkAcl", "security group": "SecurityGroup",
	"instance": "Instance", "network interface": "NetworkInterface", "load balancer": "LoadBalancer",
	"mirror filter": "TrafficMirrorFilter", "mirror target": "TrafficMirrorTarget", "mirror session": "TrafficMirrorSession",
}

// resourcePath returns the path of a resource by kind (cloudmock's name)
// and name; any kind when kind is empty.
func (r *refs) resourcePath(kind, name string) (string, bool) {
	if kind != "" {
		p, ok := r.paths[kind+"/"+name]
		return p, ok
	}
	for _, k := range kindKeys {
		if p, ok := r.paths[k+"/"+name]; ok {
			return p, true
		}
	}
	return "", false
}

// eniOrInstance resolves a network interface name, or an instance name to
// its first interface.
func (r *refs) eniOrInstance(name string) (eniRef, bool) {
	if e, ok := r.enis[name]; ok {
		return e, true
	}
	if in, ok := r.instances[name]; ok && len(in.NetworkInterfaces) > 0 {
		return eniRef{inst: in, eni: &in.NetworkInterfaces[0]}, true
	}
	return eniRef{}, false
}
