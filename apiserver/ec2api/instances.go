package ec2api

import (
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// An instance is not a resource of the model: it is the InstanceId of its
// network interfaces, one network namespace of the lab. DescribeInstances
// answers what the model knows of it (its interfaces, subnet, VPC, groups,
// addresses) and no more: its instance type (unknownInstanceType when its
// interfaces name none), no image or launch time.

// unknownInstanceType is the type answered for an instance whose type the
// state does not say (a scenario file names none): every EC2 instance has
// one, and data "aws_instance" looks it up with DescribeInstanceTypes. It
// is a Nitro type that can be a mirror source, as the model treats an
// instance of unknown type.
const unknownInstanceType = "m5.large"

// instanceTypeOf is the type of an instance, as answered.
func instanceTypeOf(in *instance) string {
	if t := in.primary().InstanceType; t != "" {
		return t
	}
	return unknownInstanceType
}

// instance is one instance and its interfaces in device order.
type instance struct {
	id   string
	enis []*cloudmock.NetworkInterface
}

func (in *instance) primary() *cloudmock.NetworkInterface { return in.enis[0] }

// instances lists the instances of the spec in the order of their first
// interface.
func instances(spec *cloudmock.Spec) []*instance {
	var out []*instance
	index := map[string]int{}
	for i := range spec.NetworkInterfaces {
		e := &spec.NetworkInterfaces[i]
		if e.InstanceId == "" {
			continue
		}
		j, ok := index[e.InstanceId]
		if !ok {
			j = len(out)
			index[e.InstanceId] = j
			out = append(out, &instance{id: e.InstanceId})
		}
		out[j].enis = append(out[j].enis, e)
	}
	return out
}

type xmlInstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlPlacement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	Tenancy          string `xml:"tenancy"`
}

type xmlInstanceENI struct {
	NetworkInterfaceId string            `xml:"networkInterfaceId"`
	SubnetId           string            `xml:"subnetId"`
	VpcId              string            `xml:"vpcId"`
	Description        string            `xml:"description"`
	OwnerId            string            `xml:"ownerId"`
	Status             string            `xml:"status"`
	MacAddress         string            `xml:"macAddress"`
	PrivateIpAddress   string            `xml:"privateIpAddress"`
	PrivateDnsName     string            `xml:"privateDnsName,omitempty"`
	SourceDestCheck    bool              `xml:"sourceDestCheck"`
	InterfaceType      string            `xml:"interfaceType"`
	Groups             []xmlGroupIdent   `xml:"groupSet>item"`
	Attachment         *xmlENIAttachment `xml:"attachment"`
	PrivateIPs         []xmlPrivateIP    `xml:"privateIpAddressesSet>item"`
	IPv6               []xmlIPv6Address  `xml:"ipv6AddressesSet>item"`
}

type xmlInstance struct {
	InstanceId        string           `xml:"instanceId"`
	InstanceType      string           `xml:"instanceType"`
	State             xmlInstanceState `xml:"instanceState"`
	PrivateDnsName    string           `xml:"privateDnsName"`
	PrivateIpAddress  string           `xml:"privateIpAddress"`
	AmiLaunchIndex    int              `xml:"amiLaunchIndex"`
	Placement         xmlPlacement     `xml:"placement"`
	SubnetId          string           `xml:"subnetId"`
	VpcId             string           `xml:"vpcId"`
	SourceDestCheck   bool             `xml:"sourceDestCheck"`
	Groups            []xmlGroupIdent  `xml:"groupSet>item"`
	NetworkInterfaces []xmlInstanceENI `xml:"networkInterfaceSet>item"`
	Tags              []tag            `xml:"tagSet>item"`
}

type xmlReservation struct {
	ReservationId string        `xml:"reservationId"`
	OwnerId       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type describeInstancesResult struct {
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

func (s *Server) toXMLInstance(spec *cloudmock.Spec, in *instance, tags tagStore) xmlInstance {
	p := in.primary()
	x := xmlInstance{
		InstanceId: in.id, InstanceType: instanceTypeOf(in), State: xmlInstanceState{Code: 16, Name: "running"},
		PrivateDnsName: s.privateDNSName(p.PrivateIpAddress), PrivateIpAddress: p.PrivateIpAddress,
		Placement: xmlPlacement{AvailabilityZone: s.subnetZone(p.SubnetId).ZoneName, Tenancy: "default"},
		SubnetId:  p.SubnetId, VpcId: subnetVpc(spec, p.SubnetId), SourceDestCheck: true,
		Groups: s.groupIdents(p.Groups, tags), Tags: tags.xml(in.id),
	}
	for _, e := range in.enis {
		xe := s.toXMLENI(spec, e, tags)
		x.NetworkInterfaces = append(x.NetworkInterfaces, xmlInstanceENI{
			NetworkInterfaceId: xe.NetworkInterfaceId, SubnetId: xe.SubnetId, VpcId: xe.VpcId, OwnerId: xe.OwnerId,
			Status: xe.Status, MacAddress: xe.MacAddress, PrivateIpAddress: xe.PrivateIpAddress,
			PrivateDnsName: xe.PrivateDnsName, SourceDestCheck: true, InterfaceType: xe.InterfaceType,
			Groups: xe.Groups, Attachment: xe.Attachment, PrivateIPs: xe.PrivateIPs, IPv6: xe.IPv6,
		})
	}
	return x
}

func (s *Server) instanceFilters(spec *cloudmock.Spec, tags tagStore) filterFields[*instance] {
	type I = *instance
	each := func(f func(*cloudmock.NetworkInterface) []string) func(I) []string {
		return func(in I) []string {
			var out []string
			for _, e := range in.enis {
				out = append(out, f(e)...)
			}
			return out
		}
	}
	primary := func(f func(*cloudmock.NetworkInterface) []string) func(I) []string {
		return func(in I) []string { return f(in.primary()) }
	}
	return filterFields[I]{
		"availability-zone":                      func(in I) []string { return one(s.subnetZone(in.primary().SubnetId).ZoneName) },
		"instance-id":                            func(in I) []string { return one(in.id) },
		"instance-type":                          func(in I) []string { return one(instanceTypeOf(in)) },
		"instance-state-code":                    func(I) []string { return one("16") },
		"instance-state-name":                    func(I) []string { return one("running") },
		"owner-id":                               func(I) []string { return one(s.cfg.AccountID) },
		"reservation-id":                         func(in I) []string { return one(derivedID("r", in.id)) },
		"private-ip-address":                     primary(func(e *cloudmock.NetworkInterface) []string { return one(e.PrivateIpAddress) }),
		"private-dns-name":                       primary(func(e *cloudmock.NetworkInterface) []string { return one(s.privateDNSName(e.PrivateIpAddress)) }),
		"subnet-id":                              primary(func(e *cloudmock.NetworkInterface) []string { return one(e.SubnetId) }),
		"vpc-id":                                 primary(func(e *cloudmock.NetworkInterface) []string { return one(subnetVpc(spec, e.SubnetId)) }),
		"instance.group-id":                      primary(func(e *cloudmock.NetworkInterface) []string { return slices.Clone(e.Groups) }),
		"instance.group-name":                    primary(func(e *cloudmock.NetworkInterface) []string { return groupNames(e.Groups, tags) }),
		"network-interface.network-interface-id": each(func(e *cloudmock.NetworkInterface) []string { return one(e.NetworkInterfaceId) }),
		"network-interface.subnet-id":            each(func(e *cloudmock.NetworkInterface) []string { return one(e.SubnetId) }),
		"network-interface.vpc-id":               each(func(e *cloudmock.NetworkInterface) []string { return one(subnetVpc(spec, e.SubnetId)) }),
		"network-interface.addresses.private-ip-address": each(func(e *cloudmock.NetworkInterface) []string { return one(e.PrivateIpAddress) }),
		"network-interface.private-dns-name":             each(func(e *cloudmock.NetworkInterface) []string { return one(s.privateDNSName(e.PrivateIpAddress)) }),
		"network-interface.group-id":                     each(func(e *cloudmock.NetworkInterface) []string { return slices.Clone(e.Groups) }),
		"network-interface.mac-address":                  each(func(e *cloudmock.NetworkInterface) []string { return one(macAddress(e.NetworkInterfaceId)) }),
		"network-interface.attachment.device-index": each(func(e *cloudmock.NetworkInterface) []string {
			return one(strconv.Itoa(deviceIndex(spec, e)))
		}),
	}
}

func (s *Server) describeInstances(c *call) (any, error) {
	q, err := c.readDescribePage("InstanceId", 1000, "IncludeManagedResources")
	if err != nil {
		return nil, err
	}
	ids, fs, pg := q.ids, q.fs, q.pg
	return c.read(func(spec *cloudmock.Spec, tags tagStore) (any, error) {
		all := instances(spec)
		known := func(id string) bool { return slices.ContainsFunc(all, func(in *instance) bool { return in.id == id }) }
		if err := idsExist(ids, known, codeInstanceNotFound, "instance ID"); err != nil {
			return nil, err
		}
		var items []*instance
		for _, in := range all {
			if len(ids) == 0 || slices.Contains(ids, in.id) {
				items = append(items, in)
			}
		}
		id := func(in *instance) string { return in.id }
		items, err := applyFilters(items, fs, s.instanceFilters(spec, tags), id, tags)
		if err != nil {
			return nil, err
		}
		items, next := page(pg, items, id)
		out := describeInstancesResult{NextToken: next}
		for _, in := range items {
			out.Reservations = append(out.Reservations, xmlReservation{
				ReservationId: derivedID("r", in.id), OwnerId: s.cfg.AccountID,
				Instances: []xmlInstance{s.toXMLInstance(spec, in, tags)},
			})
		}
		return out, nil
	})
}
