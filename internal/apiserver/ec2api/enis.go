package ec2api

import (
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type xmlGroupIdent struct {
	GroupId   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type xmlPrivateIP struct {
	PrivateIpAddress string `xml:"privateIpAddress"`
	PrivateDnsName   string `xml:"privateDnsName,omitempty"`
	Primary          bool   `xml:"primary"`
}

type xmlIPv6Address struct {
	Ipv6Address   string `xml:"ipv6Address"`
	IsPrimaryIpv6 bool   `xml:"isPrimaryIpv6"`
}

// eniView is an interface as the answers show it: one of the model's, or
// a load balancer's (lb_enis.go), with what EC2 shows beyond the model.
type eniView struct {
	cloudmock.NetworkInterface
	vpc, status, typ string
	zone             zoneInfo
	srcDst, managed  bool
	// att is its attachment (nil: none).
	att *eniAttachment
}

// eniAttachment is an interface's attachment: the model's, with the
// instance and its owner.
type eniAttachment struct {
	cloudmock.NetworkInterfaceAttachment
	instance, owner string
}

// deviceIndex is an ENI's device index: its attachment's, else its
// position among its instance's interfaces (the order of the Spec: eth0,
// eth1, …).
func deviceIndex(spec *cloudmock.Spec, e *cloudmock.NetworkInterface) int {
	if e.Attachment != nil {
		return e.Attachment.DeviceIndex
	}
	n := 0
	for i := range spec.NetworkInterfaces {
		o := &spec.NetworkInterfaces[i]
		if o.NetworkInterfaceId == e.NetworkInterfaceId {
			return n
		}
		if e.InstanceId != "" && o.InstanceId == e.InstanceId {
			n++
		}
	}
	return n
}

// attachmentID is an attached ENI's attachment id.
func attachmentID(e *cloudmock.NetworkInterface) string {
	if e.Attachment != nil && e.Attachment.AttachmentId != "" {
		return e.Attachment.AttachmentId
	}
	return derivedID("eni-attach", e.NetworkInterfaceId)
}

// deleteOnTermination says whether an attached ENI goes with its instance.
func deleteOnTermination(e *cloudmock.NetworkInterface) bool {
	return e.Attachment == nil || e.Attachment.DeleteOnTermination
}

// sourceDestCheck is an ENI's source/destination check (default on).
func sourceDestCheck(e *cloudmock.NetworkInterface) bool {
	return e.SourceDestCheck == nil || *e.SourceDestCheck
}

// groupName is a security group's name: its Name tag, else its id (the
// model keeps no group names).
func groupName(tags tagStore, id string) string {
	if v, ok := tags.value(id, "Name"); ok && v != "" {
		return v
	}
	return id
}

func (s *Server) groupIdents(ids []string, tags tagStore) []xmlGroupIdent {
	var out []xmlGroupIdent
	spec := &s.cur.Load().spec // groups are created before they are used
	for _, g := range ids {
		name := groupName(tags, g)
		if i := findGroup(spec, g); i >= 0 {
			name = sgName(&spec.SecurityGroups[i], tags)
		}
		out = append(out, xmlGroupIdent{GroupId: g, GroupName: name})
	}
	return out
}

// eniOf is a model interface's view.
func (s *Server) eniOf(spec *cloudmock.Spec, e *cloudmock.NetworkInterface) eniView {
	v := eniView{NetworkInterface: *e, vpc: subnetVpc(spec, e.SubnetId), status: "available", typ: "interface",
		zone: s.subnetZone(e.SubnetId), srcDst: sourceDestCheck(e)}
	if e.InstanceId != "" {
		v.status = "in-use"
		v.att = &eniAttachment{NetworkInterfaceAttachment: cloudmock.NetworkInterfaceAttachment{AttachmentId: attachmentID(e),
			DeviceIndex: deviceIndex(spec, e), DeleteOnTermination: deleteOnTermination(e)}, instance: e.InstanceId, owner: s.cfg.AccountID}
	}
	return v
}

// eniXML is an interface as an instance's networkInterfaceSet shows it.
func (s *Server) eniXML(v eniView, tags tagStore) xres {
	dns := s.privateDNSName(v.PrivateIpAddress)
	x := res(v.NetworkInterface).set("Groups", s.groupIdents(v.Groups, tags)).set("SourceDestCheck", v.srcDst).
		set("Attachment", (*xres)(nil)).with(xel{"vpcId", v.vpc}, xel{"ownerId", s.cfg.AccountID}, xel{"status", v.status},
		xel{"macAddress", macAddress(v.NetworkInterfaceId)}, xel{"interfaceType", v.typ},
		xel{"privateIpAddressesSet", []xmlPrivateIP{{PrivateIpAddress: v.PrivateIpAddress, PrivateDnsName: dns, Primary: true}}})
	if dns != "" {
		x = x.with(xel{"privateDnsName", dns})
	}
	var six []xmlIPv6Address
	if v.Ipv6Address != "" {
		six = []xmlIPv6Address{{Ipv6Address: v.Ipv6Address, IsPrimaryIpv6: v.EnablePrimaryIpv6}}
	}
	x = x.with(xel{"ipv6AddressesSet", six})
	if a := v.att; a != nil {
		ax := res(a.NetworkInterfaceAttachment)
		if a.instance != "" {
			ax = ax.with(xel{"instanceId", a.instance})
		}
		x = x.set("Attachment", ax.with(xel{"instanceOwnerId", a.owner}, xel{"networkCardIndex", 0}, xel{"status", "attached"}))
	}
	return x
}

// toXMLENI is an interface as DescribeNetworkInterfaces shows it: what
// an instance's networkInterfaceSet shows, and its zone, manager and
// tags.
func (s *Server) toXMLENI(v eniView, tags tagStore) xres {
	return s.eniXML(v, tags).with(xel{"availabilityZone", v.zone.ZoneName}, xel{"availabilityZoneId", v.zone.ZoneId},
		xel{"requesterManaged", v.managed}, tagSet(tags, v.NetworkInterfaceId))
}

func (s *Server) eniFilters(spec *cloudmock.Spec, tags tagStore) filterFields[*cloudmock.NetworkInterface] {
	type E = *cloudmock.NetworkInterface
	ip := func(e E) []string { return one(e.PrivateIpAddress) }
	attached := func(f func(E) []string) func(E) []string {
		return func(e E) []string {
			if e.InstanceId == "" {
				return nil
			}
			return f(e)
		}
	}
	return filterFields[E]{
		"addresses.private-ip-address":     ip,
		"addresses.primary":                func(E) []string { return tf(true) },
		"attachment.attachment-id":         attached(func(e E) []string { return one(attachmentID(e)) }),
		"attachment.instance-id":           func(e E) []string { return one(e.InstanceId) },
		"attachment.instance-owner-id":     attached(func(E) []string { return one(s.cfg.AccountID) }),
		"attachment.device-index":          attached(func(e E) []string { return one(strconv.Itoa(deviceIndex(spec, e))) }),
		"attachment.status":                attached(func(E) []string { return one("attached") }),
		"attachment.delete-on-termination": attached(func(e E) []string { return tf(deleteOnTermination(e)) }),
		"availability-zone":                func(e E) []string { return one(s.subnetZone(e.SubnetId).ZoneName) },
		"description":                      func(e E) []string { return one(e.Description) },
		"group-id":                         func(e E) []string { return slices.Clone(e.Groups) },
		"group-name":                       func(e E) []string { return groupNames(e.Groups, tags) },
		"interface-type":                   func(E) []string { return one("interface") },
		"ipv6-addresses.ipv6-address":      func(e E) []string { return one(e.Ipv6Address) },
		"mac-address":                      func(e E) []string { return one(macAddress(e.NetworkInterfaceId)) },
		"network-interface-id":             func(e E) []string { return one(e.NetworkInterfaceId) },
		"owner-id":                         func(E) []string { return one(s.cfg.AccountID) },
		"private-dns-name":                 func(e E) []string { return one(s.privateDNSName(e.PrivateIpAddress)) },
		"private-ip-address":               ip,
		"requester-managed":                func(E) []string { return tf(false) },
		"source-dest-check":                func(e E) []string { return tf(sourceDestCheck(e)) },
		"status": func(e E) []string {
			if e.InstanceId != "" {
				return one("in-use")
			}
			return one("available")
		},
		"subnet-id": func(e E) []string { return one(e.SubnetId) },
		"vpc-id":    func(e E) []string { return one(subnetVpc(spec, e.SubnetId)) },
	}
}

func (s *Server) describeNetworkInterfaces(c *call) (any, error) {
	q, err := c.readDescribePage("NetworkInterfaceId", 1000, "IncludeManagedResources")
	if err != nil {
		return nil, err
	}
	ids, fs := q.ids, q.fs
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		if err := idsExist(ids, func(id string) bool { return findENI(spec, id) >= 0 || s.isLBInterface(spec, id) }, codeENINotFound, "network interface ID"); err != nil {
			return nil, err
		}
		var items []*cloudmock.NetworkInterface
		for i := range spec.NetworkInterfaces {
			if len(ids) == 0 || slices.Contains(ids, spec.NetworkInterfaces[i].NetworkInterfaceId) {
				items = append(items, &spec.NetworkInterfaces[i])
			}
		}
		id := func(e *cloudmock.NetworkInterface) string { return e.NetworkInterfaceId }
		items, err := applyFilters(items, fs, s.eniFilters(spec, tags), id, tags)
		if err != nil {
			return nil, err
		}
		return s.eniPage(spec, tags, q, items) // with the load balancers' own (lb_enis.go)
	})
}

func groupNames(ids []string, tags tagStore) []string {
	var out []string
	for _, g := range ids {
		out = append(out, groupName(tags, g))
	}
	return out
}
