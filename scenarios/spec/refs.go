package spec

import (
	"fmt"
	"regexp"
)

// refs resolves the names a scenario uses to refer to its resources.
type refs struct {
	vpcs      map[string]*VPC
	peerings  map[string]*VPCPeeringConnection
	tgws      map[string]*TransitGateway
	subnets   map[string]subnetRef
	acls      map[string]*NetworkACL
	sgs       map[string]*SecurityGroup
	instances map[string]*Instance
	enis      map[string]eniRef
	lbs       map[string]*LoadBalancer
	filters   map[string]*Filter
	targets   map[string]*Target
	sessions  map[string]*Session
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

type subnetRef struct {
	vpc *VPC
	sub *Subnet
}

type eniRef struct {
	inst  *Instance
	eni   *NetworkInterface
	index int // position in the instance: interface eth<index>
}

// nameRE is what a resource name may look like.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}$`)

func buildRefs(s *Scenario, c *problems) *refs {
	r := &refs{
		vpcs: map[string]*VPC{}, peerings: map[string]*VPCPeeringConnection{}, tgws: map[string]*TransitGateway{}, subnets: map[string]subnetRef{}, acls: map[string]*NetworkACL{},
		sgs: map[string]*SecurityGroup{}, instances: map[string]*Instance{}, enis: map[string]eniRef{},
		lbs: map[string]*LoadBalancer{}, filters: map[string]*Filter{}, targets: map[string]*Target{},
		sessions: map[string]*Session{}, programs: map[string]*Program{}, traffic: map[string]*Traffic{},
		paths: map[string]string{}, groups: map[string]string{},
	}
	add := func(kind, path, name string) bool {
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
			l, _ := s.pos.lookup(prev)
			c.at(path+".name", "name %q is already used (line %d)", name, l)
			return false
		}
		r.groups[group+"/"+name] = path
		r.paths[kindKeys[kind]+"/"+name] = path
		return true
	}
	n := &s.Network
	for i := range n.VPCs {
		v := &n.VPCs[i]
		p := fmt.Sprintf("network.vpcs[%d]", i)
		if add("VPC", p, v.Name) {
			r.vpcs[v.Name] = v
		}
		for j := range v.Subnets {
			sn := &v.Subnets[j]
			if add("subnet", fmt.Sprintf("%s.subnets[%d]", p, j), sn.Name) {
				r.subnets[sn.Name] = subnetRef{vpc: v, sub: sn}
			}
		}
	}
	for i := range n.VPCPeeringConnections {
		if pc := &n.VPCPeeringConnections[i]; add("VPC peering connection", fmt.Sprintf("network.vpcPeeringConnections[%d]", i), pc.Name) {
			r.peerings[pc.Name] = pc
		}
	}
	for i := range n.TransitGateways {
		g := &n.TransitGateways[i]
		p := fmt.Sprintf("network.transitGateways[%d]", i)
		if add("transit gateway", p, g.Name) {
			r.tgws[g.Name] = g
		}
		for j := range g.Attachments {
			add("transit gateway attachment", fmt.Sprintf("%s.attachments[%d]", p, j), g.Attachments[j].Name)
		}
	}
	for i := range n.NetworkAcls {
		if a := &n.NetworkAcls[i]; add("network ACL", fmt.Sprintf("network.networkAcls[%d]", i), a.Name) {
			r.acls[a.Name] = a
		}
	}
	for i := range n.SecurityGroups {
		if g := &n.SecurityGroups[i]; add("security group", fmt.Sprintf("network.securityGroups[%d]", i), g.Name) {
			r.sgs[g.Name] = g
		}
	}
	for i := range n.Instances {
		in := &n.Instances[i]
		p := fmt.Sprintf("network.instances[%d]", i)
		if add("instance", p, in.Name) {
			r.instances[in.Name] = in
		}
		for j := range in.NetworkInterfaces {
			e := &in.NetworkInterfaces[j]
			if add("network interface", fmt.Sprintf("%s.networkInterfaces[%d]", p, j), e.Name) {
				r.enis[e.Name] = eniRef{inst: in, eni: e, index: j}
			}
		}
	}
	for i := range n.LoadBalancers {
		if lb := &n.LoadBalancers[i]; add("load balancer", fmt.Sprintf("network.loadBalancers[%d]", i), lb.Name) {
			r.lbs[lb.Name] = lb
		}
	}
	m := &s.Mirror
	for i := range m.Filters {
		if f := &m.Filters[i]; add("mirror filter", fmt.Sprintf("mirror.filters[%d]", i), f.Name) {
			r.filters[f.Name] = f
		}
	}
	for i := range m.Targets {
		if t := &m.Targets[i]; add("mirror target", fmt.Sprintf("mirror.targets[%d]", i), t.Name) {
			r.targets[t.Name] = t
		}
	}
	for i := range m.Sessions {
		if ss := &m.Sessions[i]; add("mirror session", fmt.Sprintf("mirror.sessions[%d]", i), ss.Name) {
			r.sessions[ss.Name] = ss
		}
	}
	// programs and traffic steps have namespaces of their own
	for i := range s.Programs {
		pr := &s.Programs[i]
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
	for i := range s.Traffic {
		t := &s.Traffic[i]
		if t.Name == "" {
			continue // optional: named in reports by its index
		}
		if _, dup := r.traffic[t.Name]; dup {
			c.at(fmt.Sprintf("traffic[%d].name", i), "traffic name %q is already used", t.Name)
			continue
		}
		r.traffic[t.Name] = t
	}
	return r
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
