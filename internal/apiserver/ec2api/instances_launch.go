package ec2api

import (
	"fmt"
	"slices"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

type runInstancesResult struct {
	ReservationId string     `xml:"reservationId"`
	OwnerId       string     `xml:"ownerId"`
	Groups        []struct{} `xml:"groupSet>item"`
	Instances     []xres     `xml:"instancesSet>item"`
}

// runInstances launches MinCount to MaxCount instances (as many as the
// subnet has addresses for), each with its primary interface and the
// other NetworkInterface.N, pending at first (instances_clock.go).
func (s *Server) runInstances(c *call) (any, error) {
	r, err := c.readRun()
	if err != nil {
		return nil, err
	}
	return c.mutate(r.token, func(st *state) (any, error) {
		return s.launch(st, r)
	})
}

// launch makes the instances of r in st.
func (s *Server) launch(st *state, r *runRequest) (any, error) {
	t, err := s.checkLaunch(r)
	if err != nil {
		return nil, err
	}
	if r.attachENI == "" && r.primary.subnet == "" {
		if r.primary.subnet, err = s.launchSubnet(&st.spec, r.zone); err != nil {
			return nil, err
		}
	}
	if len(r.groupNames) > 0 {
		if r.primary.groups, err = s.groupsByName(st, r.primary.subnet, r.groupNames); err != nil {
			return nil, err
		}
	}
	now := s.now()
	st.pruneTerminated(now)
	res := st.newID("r")
	var ids []string
	for k := range r.max {
		// a new instance's interfaces go at the end: cut them to undo it
		n, m := len(st.spec.Instances), len(st.spec.NetworkInterfaces)
		id, err := s.launchOne(st, r, t, res, k)
		if err != nil {
			if k >= r.min && apiCode(err) == codeInsufficientAddresses {
				st.spec.Instances, st.spec.NetworkInterfaces = st.spec.Instances[:n], st.spec.NetworkInterfaces[:m]
				break // launch what fits, at least MinCount
			}
			return nil, err
		}
		ids = append(ids, id)
	}
	out := runInstancesResult{ReservationId: res, OwnerId: s.cfg.AccountID}
	all := listInstances(&st.spec, st.inst, time.Time{})
	for _, in := range all {
		if slices.Contains(ids, in.id) {
			out.Instances = append(out.Instances, s.toXMLInstance(&st.spec, in, st.tags))
		}
	}
	return out, nil
}

// checkLaunch checks the image, the type, their architectures and the
// credit option, and fills in the type's default credits.
func (s *Server) checkLaunch(r *runRequest) (*instanceType, error) {
	if !validAMIID(r.image) {
		return nil, errorf("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", r.image)
	}
	im := findImage(r.image)
	if im == nil {
		return nil, errorf("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", r.image)
	}
	t := findInstanceType(r.typ)
	if t == nil {
		return nil, errInvalid("InstanceType", r.typ, "This instance type does not exist here (see DescribeInstanceTypes).")
	}
	if !slices.Contains(t.arch, im.arch) {
		return nil, errInvalid("InstanceType", r.typ, fmt.Sprintf("The architecture '%v' of the specified instance type does not match the architecture '%s' of the specified AMI.", t.arch, im.arch))
	}
	switch {
	case r.model.CpuCredits != "" && !t.burstable:
		return nil, errorf(codes.InvalidParameterCombination, "The parameter CreditSpecification is not supported for the %s instance type.", r.typ)
	case r.model.CpuCredits == "" && t.burstable:
		r.model.CpuCredits = defaultCredits(t.name)
	}
	return t, nil
}

// defaultCredits is a burstable type's credit option at launch: standard
// for T2, unlimited for later families.
func defaultCredits(typ string) string {
	if len(typ) >= 3 && typ[:3] == "t2." {
		return "standard"
	}
	return "unlimited"
}

// launchSubnet is the subnet of an instance launched with no subnet: the
// default subnet of the zone asked, else of the first zone.
func (s *Server) launchSubnet(spec *cloudmock.Spec, zone string) (string, error) {
	var best string
	for i := range spec.Subnets {
		sn := &spec.Subnets[i]
		if !sn.DefaultForAz { // its zone's default subnet (of the default VPC)
			continue
		}
		z := s.subnetZone(sn.SubnetId).ZoneName
		if zone == "" || z == zone {
			if best == "" || z < s.subnetZone(best).ZoneName {
				best = sn.SubnetId
			}
		}
	}
	if best == "" {
		return "", errorf("VPCIdNotSpecified", "No default VPC for this user (or no default subnet in zone %q). Give SubnetId.", zone)
	}
	return best, nil
}

// groupsByName resolves SecurityGroup.N (names) in the subnet's VPC.
func (s *Server) groupsByName(st *state, subnet string, names []string) ([]string, error) {
	vpc := subnetVpc(&st.spec, subnet)
	var out []string
	for i, n := range names {
		found := ""
		for i := range st.spec.SecurityGroups {
			if g := &st.spec.SecurityGroups[i]; g.VpcId == vpc && sgName(g, st.tags) == n {
				found = g.GroupId
			}
		}
		if found == "" {
			return nil, errorf(codeGroupNotFound, "The security group '%s' does not exist in VPC '%s' (SecurityGroup.%d)", n, vpc, i+1)
		}
		out = append(out, found)
	}
	return out, nil
}

// launchOne makes instance k of a launch: its primary interface (new, or
// attached by id), its other interfaces, its model entry, tags and record.
func (s *Server) launchOne(st *state, r *runRequest, t *instanceType, res string, k int) (string, error) {
	id := st.newID("i")
	in := r.model
	in.InstanceId, in.InstanceType, in.ImageId, in.KeyName, in.UserData, in.State = id, t.name, r.image, r.key, r.userData, cloudmock.InstanceRunning
	st.spec.Instances = append(st.spec.Instances, in)
	enis := []launchENI{{index: 0, eniID: r.attachENI, req: r.primary}}
	enis = append(enis, r.more...)
	if len(enis) > t.enis {
		return "", errorf(codes.AttachmentLimit, "Instance type %s supports at most %d network interfaces.", t.name, t.enis)
	}
	var made []string
	for _, l := range enis {
		eni, err := s.launchInterface(st, id, t.name, l)
		if err != nil {
			return "", err
		}
		made = append(made, eni)
	}
	for _, eni := range made { // tags last: a failed launch leaves none behind
		if err := st.tags.set(eni, r.tags["network-interface"], "TagSpecification"); err != nil {
			return "", err
		}
	}
	primary := &st.spec.NetworkInterfaces[findENI(&st.spec, firstENI(&st.spec, id))]
	if zone := r.zone; zone != "" {
		if got := s.subnetZone(primary.SubnetId).ZoneName; got != zone {
			return "", errInvalid("Placement.AvailabilityZone", zone, fmt.Sprintf("The subnet %s lies in %s.", primary.SubnetId, got))
		}
	}
	if err := st.tags.set(id, r.tags["instance"], "TagSpecification"); err != nil {
		return "", err
	}
	if vt := r.tags["volume"]; len(vt) > 0 {
		if err := st.tags.set(derivedID("vol", id), vt, "TagSpecification"); err != nil {
			return "", err
		}
	}
	now := s.now()
	st.putRecord(id, instRecord{launched: now, since: now, reservation: res, launchIndex: k, meta: r.meta, token: r.token,
		monitored: r.monitored, ebsOptimized: r.ebsOptimized})
	return id, nil
}

// firstENI is the id of an instance's first interface in the Spec.
func firstENI(spec *cloudmock.Spec, instanceID string) string {
	for i := range spec.NetworkInterfaces {
		if spec.NetworkInterfaces[i].InstanceId == instanceID {
			return spec.NetworkInterfaces[i].NetworkInterfaceId
		}
	}
	return ""
}

// launchInterface attaches a new interface (or an existing one, by id)
// to a new instance of a type at a device index, and returns its id.
func (s *Server) launchInterface(st *state, instanceID, typ string, l launchENI) (string, error) {
	att := &cloudmock.NetworkInterfaceAttachment{AttachmentId: st.newID("eni-attach"), DeviceIndex: l.index, DeleteOnTermination: !l.keep}
	var e cloudmock.NetworkInterface
	if l.eniID != "" {
		i := findENI(&st.spec, l.eniID)
		if i < 0 {
			return "", eniNotFound(l.eniID)
		}
		e = st.spec.NetworkInterfaces[i]
		if e.InstanceId != "" {
			return "", errorf(codeENIInUse, "Interface: [%s] in use.", l.eniID)
		}
		att.DeleteOnTermination = false
		st.spec.NetworkInterfaces = slices.Delete(st.spec.NetworkInterfaces, i, i+1)
	} else {
		var err error
		if e, err = s.buildENI(st, l.req); err != nil {
			return "", err
		}
	}
	e.InstanceId, e.InstanceType, e.Attachment = instanceID, typ, att
	st.spec.InsertInterface(e)
	return e.NetworkInterfaceId, nil
}

// apiCode is an error's EC2 code ("" for another error).
func apiCode(err error) string {
	if ae, ok := err.(*apiError); ok {
		return ae.Code
	}
	return ""
}

// codeENIInUse is EC2's answer for an interface that is attached.
const codeENIInUse = "InvalidNetworkInterface.InUse"
