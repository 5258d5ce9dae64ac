package ec2api

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// CreateNetworkInterface, DeleteNetworkInterface, AttachNetworkInterface,
// DetachNetworkInterface and ModifyNetworkInterfaceAttribute, on the
// model's NetworkInterfaces (an attached interface has the InstanceId and
// Attachment of its instance).

// readPrivateIPs reads PrivateIpAddresses.N (the model holds one address:
// the primary one) and SecondaryPrivateIpAddressCount (0 only).
func (c *call) readPrivateIPs(r *eniRequest) error {
	idx := c.p.indexes("PrivateIpAddresses")
	for _, n := range idx {
		pre := fmt.Sprintf("PrivateIpAddresses.%d.", n)
		ip, _ := c.p.str(pre + "PrivateIpAddress")
		// the one address is the primary one, whatever Primary says
		c.p.bool(pre + "Primary")
		if c.p.ok() && (len(idx) > 1 || r.privateIP != "" && r.privateIP != ip) {
			return errInvalid(pre+"PrivateIpAddress", ip, "An interface here has one private IPv4 address (no secondary addresses).")
		}
		r.privateIP = ip
	}
	if n := c.p.int("SecondaryPrivateIpAddressCount"); n != nil && *n != 0 {
		return errInvalid("SecondaryPrivateIpAddressCount", fmt.Sprint(*n), "Secondary private addresses are not supported here.")
	}
	return c.p.Err()
}

func (s *Server) createNetworkInterface(c *call) (any, error) {
	r := eniRequest{}
	if err := r.read(c.p, "SecurityGroupId", "Ipv6Addresses"); err != nil {
		return nil, err
	}
	if r.subnet == "" {
		return nil, errMissing("SubnetId")
	}
	if err := c.readPrivateIPs(&r); err != nil {
		return nil, err
	}
	if t, _ := c.p.str("InterfaceType"); t != "" && t != "interface" {
		return nil, errorf(codeUnsupported, "InterfaceType %q is not supported here (only interface).", t)
	}
	tags := c.p.tagSpecs("network-interface")
	token, _ := c.p.str("ClientToken")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate(token, func(st *state) (any, error) {
		e, err := s.buildENI(st, r)
		if err != nil {
			return nil, err
		}
		st.spec.NetworkInterfaces = append(st.spec.NetworkInterfaces, e)
		return st.created(e.NetworkInterfaceId, tags, "networkInterface", token, func() xres {
			return s.toXMLENI(s.eniOf(&st.spec, &st.spec.NetworkInterfaces[len(st.spec.NetworkInterfaces)-1]), st.tags)
		})
	})
}

func (s *Server) deleteNetworkInterface(c *call) (any, error) {
	id, err := c.beginWith("NetworkInterfaceId")
	if err != nil {
		return nil, err
	}
	res, err := c.mutate("", func(st *state) (any, error) {
		// a failed change leaves the state as it was: remove, then check
		e, err := removeByID(&st.spec.NetworkInterfaces, id, idOfENI, eniNotFound)
		if err != nil {
			return nil, err
		}
		if e.InstanceId != "" {
			return nil, errorf(codeENIInUse, "The network interface '%s' is currently in use (attached to %s).", id, e.InstanceId)
		}
		st.tags.remove(id)
		return returnResult{true}, nil
	})
	return res, inUse(err, "network interface", id)
}

type attachENIResult struct {
	AttachmentId     string `xml:"attachmentId"`
	NetworkCardIndex int    `xml:"networkCardIndex"`
}

func (s *Server) attachNetworkInterface(c *call) (any, error) {
	id := c.p.required("NetworkInterfaceId")
	inst := c.p.required("InstanceId")
	index := c.p.requiredInt("DeviceIndex")
	if card := c.p.int("NetworkCardIndex"); card != nil && *card != 0 {
		return nil, errInvalid("NetworkCardIndex", fmt.Sprint(*card), "Instances here have one network card (index 0).")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		return s.attach(st, id, inst, index)
	})
}

// attach attaches an available interface to a live instance of the same
// zone at a free device index, within the type's interface limit.
func (s *Server) attach(st *state, id, instID string, index int) (any, error) {
	i := findENI(&st.spec, id)
	if i < 0 {
		return nil, eniNotFound(id)
	}
	in, err := liveInstance(&st.spec, st.inst, instID)
	if err != nil {
		return nil, err
	}
	e := st.spec.NetworkInterfaces[i]
	switch {
	case e.InstanceId != "":
		return nil, errorf(codeENIInUse, "Interface: [%s] in use.", id)
	case index < 0:
		return nil, errInvalid("DeviceIndex", fmt.Sprint(index), "It must not be negative.")
	case s.subnetZone(e.SubnetId).ZoneName != s.subnetZone(in.subnetOf()).ZoneName:
		return nil, errorf(codes.InvalidParameterCombination, "You may not attach a network interface to an instance if they are not in the same availability zone (%s, %s).",
			s.subnetZone(e.SubnetId).ZoneName, s.subnetZone(in.subnetOf()).ZoneName)
	case subnetVpc(&st.spec, e.SubnetId) != s.vpcOf(&st.spec, in):
		return nil, errorf(codes.InvalidParameterCombination, "The network interface %s and instance %s are in different VPCs.", id, instID)
	}
	for _, o := range in.enis {
		if deviceIndex(&st.spec, o) == index {
			return nil, errInvalid("DeviceIndex", fmt.Sprint(index), fmt.Sprintf("Instance '%s' already has an interface attached at device index '%d'.", instID, index))
		}
	}
	typ := instanceTypeOf(in)
	if t := findInstanceType(typ); t != nil && len(in.enis)+1 > t.enis {
		return nil, errorf(codes.AttachmentLimit, "Interface count %d exceeds the limit for %s", len(in.enis)+1, typ)
	}
	if in.model == nil {
		typ = in.primary().InstanceType // a scenario's instance keeps its type unsaid
	}
	e.InstanceId, e.InstanceType = instID, typ
	e.Attachment = &cloudmock.NetworkInterfaceAttachment{AttachmentId: st.newID("eni-attach"), DeviceIndex: index}
	st.spec.NetworkInterfaces = slices.Delete(st.spec.NetworkInterfaces, i, i+1)
	st.spec.InsertInterface(e)
	return attachENIResult{AttachmentId: e.Attachment.AttachmentId}, nil
}

// findENIAttachment is the index of the interface with an attachment id.
func findENIAttachment(spec *cloudmock.Spec, id string) int {
	for i := range spec.NetworkInterfaces {
		if e := &spec.NetworkInterfaces[i]; e.InstanceId != "" && attachmentID(e) == id {
			return i
		}
	}
	return -1
}

func (s *Server) detachNetworkInterface(c *call) (any, error) {
	id := c.p.required("AttachmentId")
	c.p.bool("Force")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		i := findENIAttachment(&st.spec, id)
		if i < 0 {
			return nil, notFound("InvalidAttachmentID.NotFound", "attachment ID", id)
		}
		e := &st.spec.NetworkInterfaces[i]
		if deviceIndex(&st.spec, e) == 0 {
			return nil, errorf(codeOperationNotPermitted, "The network interface at device index 0 cannot be detached.")
		}
		e.InstanceId, e.InstanceType, e.Attachment = "", "", nil
		return struct{}{}, nil
	})
}

// modifyNetworkInterfaceAttribute changes one attribute: Description,
// SecurityGroupId.N, SourceDestCheck, or the attachment's
// DeleteOnTermination.
func (s *Server) modifyNetworkInterfaceAttribute(c *call) (any, error) {
	id := c.p.required("NetworkInterfaceId")
	desc := c.p.optStr("Description.Value")
	check := c.p.optStr("SourceDestCheck.Value")
	att := c.p.optStr("Attachment.AttachmentId")
	del := c.p.optStr("Attachment.DeleteOnTermination")
	groups := c.p.list("SecurityGroupId")
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.mutate("", func(st *state) (any, error) {
		e, err := findByID(st.spec.NetworkInterfaces, id, idOfENI, eniNotFound)
		if err != nil {
			return nil, err
		}
		if desc != nil {
			e.Description = *desc
		}
		if check != nil {
			b, err := strconv.ParseBool(*check)
			if err != nil {
				return nil, errInvalid("SourceDestCheck.Value", *check, "It must be true or false.")
			}
			e.SourceDestCheck = &b
		}
		if len(groups) > 0 {
			if e.Groups, err = s.launchGroups(&st.spec, st.tags, subnetVpc(&st.spec, e.SubnetId), groups, "SecurityGroupId"); err != nil {
				return nil, err
			}
		}
		if att != nil || del != nil {
			if err := setDeleteOnTermination(&st.spec, e, att, del); err != nil {
				return nil, err
			}
		}
		return returnResult{true}, nil
	})
}

// setDeleteOnTermination changes an attached interface's
// DeleteOnTermination (Attachment.AttachmentId must be its attachment).
func setDeleteOnTermination(spec *cloudmock.Spec, e *cloudmock.NetworkInterface, att, del *string) error {
	if att == nil || del == nil {
		return errMissing("Attachment.AttachmentId and Attachment.DeleteOnTermination")
	}
	if e.InstanceId == "" || attachmentID(e) != *att {
		return notFound("InvalidAttachmentID.NotFound", "attachment ID", *att)
	}
	b, err := strconv.ParseBool(*del)
	if err != nil {
		return errInvalid("Attachment.DeleteOnTermination", *del, "It must be true or false.")
	}
	if e.Attachment == nil {
		e.Attachment = &cloudmock.NetworkInterfaceAttachment{AttachmentId: attachmentID(e), DeviceIndex: deviceIndex(spec, e)}
	}
	e.Attachment.DeleteOnTermination = b
	return nil
}
