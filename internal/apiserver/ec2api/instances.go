package ec2api

import (
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// An instance is a model Instance (launched through the API) with its
// network interfaces, or, for a scenario file's instance, only the
// InstanceId of its interfaces: DescribeInstances answers what the model
// knows of it and no more (its type, unknownInstanceType when its
// interfaces name none; no image or launch time). A terminated instance
// is answered from its record for a while (instances_clock.go).

// unknownInstanceType is the type answered for an instance whose type the
// state does not say (a scenario file names none): every EC2 instance has
// one, and data "aws_instance" looks it up with DescribeInstanceTypes. It
// is a Nitro type that can be a mirror source, as the model treats an
// instance of unknown type.
const unknownInstanceType = "m5.large"

// instanceTypeOf is the type of an instance, as answered.
func instanceTypeOf(in *instance) string {
	switch m := in.what(); {
	case m != nil:
		return m.InstanceType
	case len(in.enis) > 0 && in.primary().InstanceType != "":
		return in.primary().InstanceType
	}
	return unknownInstanceType
}

// instance is one instance: its interfaces in device order (none once
// terminated), its model entry (nil for a scenario's instance or a
// terminated one) and its record.
type instance struct {
	id    string
	enis  []*cloudmock.NetworkInterface
	model *cloudmock.Instance
	rec   instRecord
}

// primary is the instance's primary interface; nil once terminated.
func (in *instance) primary() *cloudmock.NetworkInterface {
	if len(in.enis) == 0 {
		return nil
	}
	return in.enis[0]
}

// primaryField is f of the primary interface, "" when there is none.
func (in *instance) primaryField(f func(*cloudmock.NetworkInterface) string) string {
	if p := in.primary(); p != nil {
		return f(p)
	}
	return ""
}

// instances lists the instances of the spec in the order of their first
// interface (the model's own instances included).
func instances(spec *cloudmock.Spec) []*instance {
	return listInstances(spec, nil, time.Time{})
}

// listInstances is instances with their records and, when shownAt is not
// zero, the terminated instances still shown at that time (after the
// others, by id).
func listInstances(spec *cloudmock.Spec, recs instRecords, shownAt time.Time) []*instance {
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
			in := &instance{id: e.InstanceId, rec: recs[e.InstanceId]}
			if k := spec.FindInstance(e.InstanceId); k >= 0 {
				in.model = &spec.Instances[k]
			}
			out = append(out, in)
		}
		out[j].enis = append(out[j].enis, e)
	}
	if shownAt.IsZero() {
		return out
	}
	var gone []*instance
	for id, r := range recs {
		if r.gone != nil && shownAt.Sub(r.since) <= terminatedRetention {
			gone = append(gone, &instance{id: id, rec: r})
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].id < gone[j].id })
	return append(out, gone...)
}

// subnetOf and vpcOf are the instance's subnet and VPC (kept when it is
// terminated).
func (in *instance) subnetOf() string {
	if in.rec.gone != nil {
		return in.rec.gone.subnet
	}
	return in.primaryField(func(e *cloudmock.NetworkInterface) string { return e.SubnetId })
}

func (s *Server) vpcOf(spec *cloudmock.Spec, in *instance) string {
	if in.rec.gone != nil {
		return in.rec.gone.vpc
	}
	return subnetVpc(spec, in.subnetOf())
}

// what is the model entry of a live or terminated instance (nil for a
// scenario's).
func (in *instance) what() *cloudmock.Instance {
	if in.rec.gone != nil {
		return &in.rec.gone.inst
	}
	return in.model
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
		return func(in I) []string {
			if p := in.primary(); p != nil {
				return f(p)
			}
			return nil
		}
	}
	model := func(f func(*cloudmock.Instance) string) func(I) []string {
		return func(in I) []string {
			if m := in.what(); m != nil {
				return one(f(m))
			}
			return nil
		}
	}
	return filterFields[I]{
		"availability-zone":                      func(in I) []string { return one(s.subnetZone(in.subnetOf()).ZoneName) },
		"image-id":                               model(func(m *cloudmock.Instance) string { return m.ImageId }),
		"instance-id":                            func(in I) []string { return one(in.id) },
		"instance-type":                          func(in I) []string { return one(instanceTypeOf(in)) },
		"instance-state-code":                    func(in I) []string { return num(s.stateOf(in)) },
		"instance-state-name":                    func(in I) []string { return one(stateNames[s.stateOf(in)]) },
		"key-name":                               model(func(m *cloudmock.Instance) string { return m.KeyName }),
		"owner-id":                               func(I) []string { return one(s.cfg.AccountID) },
		"reservation-id":                         func(in I) []string { return one(reservationOf(in)) },
		"private-ip-address":                     primary(func(e *cloudmock.NetworkInterface) []string { return one(e.PrivateIpAddress) }),
		"private-dns-name":                       primary(func(e *cloudmock.NetworkInterface) []string { return one(s.privateDNSName(e.PrivateIpAddress)) }),
		"subnet-id":                              func(in I) []string { return one(in.subnetOf()) },
		"vpc-id":                                 func(in I) []string { return one(s.vpcOf(spec, in)) },
		"instance.group-id":                      primary(func(e *cloudmock.NetworkInterface) []string { return slices.Clone(e.Groups) }),
		"instance.group-name":                    primary(func(e *cloudmock.NetworkInterface) []string { return groupNames(e.Groups, tags) }),
		"network-interface.network-interface-id": each(func(e *cloudmock.NetworkInterface) []string { return one(e.NetworkInterfaceId) }),
		"network-interface.subnet-id":            each(func(e *cloudmock.NetworkInterface) []string { return one(e.SubnetId) }),
		"network-interface.vpc-id":               each(func(e *cloudmock.NetworkInterface) []string { return one(subnetVpc(spec, e.SubnetId)) }),
		"network-interface.addresses.private-ip-address": each(func(e *cloudmock.NetworkInterface) []string { return one(e.PrivateIpAddress) }),
		"network-interface.private-dns-name":             each(func(e *cloudmock.NetworkInterface) []string { return one(s.privateDNSName(e.PrivateIpAddress)) }),
		"network-interface.group-id":                     each(func(e *cloudmock.NetworkInterface) []string { return slices.Clone(e.Groups) }),
		"network-interface.mac-address":                  each(func(e *cloudmock.NetworkInterface) []string { return one(macAddress(e.NetworkInterfaceId)) }),
		"network-interface.description":                  each(func(e *cloudmock.NetworkInterface) []string { return one(e.Description) }),
		"network-interface.attachment.device-index": each(func(e *cloudmock.NetworkInterface) []string {
			return one(strconv.Itoa(deviceIndex(spec, e)))
		}),
		"network-interface.attachment.attachment-id":         each(func(e *cloudmock.NetworkInterface) []string { return one(attachmentID(e)) }),
		"network-interface.attachment.instance-id":           each(func(e *cloudmock.NetworkInterface) []string { return one(e.InstanceId) }),
		"network-interface.attachment.status":                each(func(*cloudmock.NetworkInterface) []string { return one("attached") }),
		"network-interface.attachment.delete-on-termination": each(func(e *cloudmock.NetworkInterface) []string { return tf(deleteOnTermination(e)) }),
		"network-interface.source-dest-check":                each(func(e *cloudmock.NetworkInterface) []string { return tf(sourceDestCheck(e)) }),
		"network-interface.status":                           each(func(*cloudmock.NetworkInterface) []string { return one("in-use") }),
	}.with(s.renderedInstanceFilters(spec, tags))
}

// renderedInstanceFilters are the filters on what DescribeInstances
// shows of an instance beyond the model.
func (s *Server) renderedInstanceFilters(spec *cloudmock.Spec, tags tagStore) filterFields[*instance] {
	x := func(f func(v *xmlInstance) []string) func(*instance) []string {
		return func(in *instance) []string {
			v := s.renderInstance(spec, in, tags)
			return f(&v)
		}
	}
	str := func(f func(v *xmlInstance) string) func(*instance) []string {
		return x(func(v *xmlInstance) []string { return one(f(v)) })
	}
	return filterFields[*instance]{
		"architecture":        str(func(v *xmlInstance) string { return v.Architecture }),
		"root-device-type":    str(func(v *xmlInstance) string { return v.RootDeviceType }),
		"root-device-name":    str(func(v *xmlInstance) string { return v.RootDeviceName }),
		"tenancy":             str(func(v *xmlInstance) string { return v.Placement.Tenancy }),
		"monitoring-state":    str(func(v *xmlInstance) string { return v.Monitoring.State }),
		"hypervisor":          str(func(v *xmlInstance) string { return v.Hypervisor }),
		"virtualization-type": str(func(v *xmlInstance) string { return v.VirtualizationType }),
		"client-token":        str(func(v *xmlInstance) string { return v.ClientToken }),
		"launch-time":         str(func(v *xmlInstance) string { return v.LaunchTime }),
		"reason":              str(func(v *xmlInstance) string { return v.Reason }),
		"ami-launch-index":    x(func(v *xmlInstance) []string { return num(v.AmiLaunchIndex) }),
		"state-reason-code": x(func(v *xmlInstance) []string {
			if v.StateReason == nil {
				return nil
			}
			return one(v.StateReason.Code)
		}),
		"block-device-mapping.volume-id": x(func(v *xmlInstance) []string {
			var out []string
			for _, b := range v.BlockDevices {
				out = append(out, b.Ebs.VolumeId)
			}
			return out
		}),
		"block-device-mapping.device-name": x(func(v *xmlInstance) []string {
			var out []string
			for _, b := range v.BlockDevices {
				out = append(out, b.DeviceName)
			}
			return out
		}),
	}
}

// with adds the fields of o.
func (f filterFields[T]) with(o filterFields[T]) filterFields[T] {
	for k, v := range o {
		f[k] = v
	}
	return f
}

// stateOf is the state code an instance shows now.
func (s *Server) stateOf(in *instance) int {
	return stateCode(in.model, in.rec, s.now())
}

// reservationOf is an instance's reservation id: its launch's, else one
// derived from its id.
func reservationOf(in *instance) string {
	if in.rec.reservation != "" {
		return in.rec.reservation
	}
	return derivedID("r", in.id)
}

func (s *Server) describeInstances(c *call) (any, error) {
	q, err := c.readDescribePage("InstanceId", 1000, "IncludeManagedResources")
	if err != nil {
		return nil, err
	}
	ids, fs, pg := q.ids, q.fs, q.pg
	return c.readAll(func(cur *published) (any, error) {
		spec, tags := &cur.spec, cur.tags
		all := listInstances(spec, cur.inst, s.now())
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
		items, next, err := filterPage(items, fs, pg, s.instanceFilters(spec, tags), id, goneTags(tags, all))
		if err != nil {
			return nil, err
		}
		return describeInstancesResult{NextToken: next, Reservations: s.reservations(spec, items, tags)}, nil
	})
}

// reservations groups instances by reservation, in the order given.
func (s *Server) reservations(spec *cloudmock.Spec, items []*instance, tags tagStore) []xmlReservation {
	var out []xmlReservation
	at := map[string]int{}
	for _, in := range items {
		r := reservationOf(in)
		i, ok := at[r]
		if !ok {
			i = len(out)
			at[r] = i
			out = append(out, xmlReservation{ReservationId: r, OwnerId: s.cfg.AccountID})
		}
		out[i].Instances = append(out[i].Instances, s.toXMLInstance(spec, in, tags))
	}
	return out
}

// goneTags is tags with the tags terminated instances had.
func goneTags(tags tagStore, all []*instance) tagStore {
	out, copied := tags, false
	for _, in := range all {
		if g := in.rec.gone; g != nil && len(g.tags) > 0 {
			if !copied {
				out, copied = tags.clone(), true
			}
			out.put(in.id, g.tags)
		}
	}
	return out
}
