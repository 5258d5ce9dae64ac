package ec2api

import (
	"encoding/base64"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// DescribeInstanceAttribute and ModifyInstanceAttribute over the model's
// Instance (and, for a scenario's instance, what its interfaces say).

type xmlValue struct {
	Value string `xml:"value"`
}

// xmlOptValue is a value EC2 leaves out when there is none (<userData/>
// for an instance launched without user data).
type xmlOptValue struct {
	Value string `xml:"value,omitempty"`
}

type xmlBoolValue struct {
	Value bool `xml:"value"`
}

type instanceAttributeResult struct {
	InstanceId       string                   `xml:"instanceId"`
	InstanceType     *xmlValue                `xml:"instanceType"`
	UserData         *xmlOptValue             `xml:"userData"`
	DisableTerm      *xmlBoolValue            `xml:"disableApiTermination"`
	DisableStop      *xmlBoolValue            `xml:"disableApiStop"`
	ShutdownBehavior *xmlValue                `xml:"instanceInitiatedShutdownBehavior"`
	RootDeviceName   *xmlValue                `xml:"rootDeviceName"`
	SourceDestCheck  *xmlBoolValue            `xml:"sourceDestCheck"`
	EbsOptimized     *xmlBoolValue            `xml:"ebsOptimized"`
	EnaSupport       *xmlBoolValue            `xml:"enaSupport"`
	SriovNetSupport  *xmlValue                `xml:"sriovNetSupport"`
	Groups           []xmlGroupIdent          `xml:"groupSet>item"`
	Kernel           *xmlValue                `xml:"kernel"`
	Ramdisk          *xmlValue                `xml:"ramdisk"`
	BlockDevices     []xmlInstanceBlockDevice `xml:"blockDeviceMapping>item"`
	EnclaveOptions   *xmlEnabled              `xml:"enclaveOptions"`
	// productCodes is an empty list here (no Marketplace images).
	ProductCodes []struct{} `xml:"productCodes>item"`
}

// instanceAttributes are the names DescribeInstanceAttribute accepts.
var instanceAttributes = []string{"instanceType", "kernel", "ramdisk", "userData", "disableApiTermination",
	"instanceInitiatedShutdownBehavior", "rootDeviceName", "blockDeviceMapping", "productCodes", "sourceDestCheck",
	"groupSet", "ebsOptimized", "sriovNetSupport", "enaSupport", "enclaveOptions", "disableApiStop"}

// liveInstance finds an instance that is not terminated (EC2 answers a
// terminated one's attributes only briefly; here not at all).
func liveInstance(spec *cloudmock.Spec, recs instRecords, id string) (*instance, error) {
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	for _, in := range listInstances(spec, recs, time.Time{}) {
		if in.id == id {
			return in, nil
		}
	}
	return nil, notFound(codeInstanceNotFound, "instance ID", id)
}

func (s *Server) describeInstanceAttribute(c *call) (any, error) {
	id, _ := c.p.str("InstanceId")
	attr := c.p.required("Attribute")
	if c.p.ok() && !slices.Contains(instanceAttributes, attr) {
		return nil, errInvalid("Attribute", attr, "It must be one of the instance attributes EC2 names.")
	}
	if err := c.begin(); err != nil {
		return nil, err
	}
	return c.readAll(func(cur *published) (any, error) {
		in, err := liveInstance(&cur.spec, cur.inst, id)
		if err != nil {
			return nil, err
		}
		return s.instanceAttribute(cur, in, attr), nil
	})
}

// instanceAttribute answers one attribute of an instance.
func (s *Server) instanceAttribute(cur *published, in *instance, attr string) instanceAttributeResult {
	m := in.model
	if m == nil {
		m = &cloudmock.Instance{InstanceId: in.id, InstanceType: instanceTypeOf(in)}
	}
	out := instanceAttributeResult{InstanceId: in.id}
	switch attr {
	case "instanceType":
		out.InstanceType = &xmlValue{m.InstanceType}
	case "userData":
		out.UserData = &xmlOptValue{}
		if m.UserData != "" {
			out.UserData.Value = base64.StdEncoding.EncodeToString([]byte(m.UserData))
		}
	case "disableApiTermination":
		out.DisableTerm = &xmlBoolValue{m.DisableApiTermination}
	case "disableApiStop":
		out.DisableStop = &xmlBoolValue{m.DisableApiStop}
	case "instanceInitiatedShutdownBehavior":
		out.ShutdownBehavior = &xmlValue{m.InstanceInitiatedShutdownBehavior}
		if out.ShutdownBehavior.Value == "" {
			out.ShutdownBehavior.Value = "stop"
		}
	case "rootDeviceName":
		x := s.renderInstance(&cur.spec, in, cur.tags)
		out.RootDeviceName = &xmlValue{x.RootDeviceName}
	case "sourceDestCheck":
		out.SourceDestCheck = &xmlBoolValue{sourceDestCheck(in.primary())}
	case "groupSet":
		out.Groups = s.groupIdents(in.primary().Groups, cur.tags)
	case "ebsOptimized":
		out.EbsOptimized = &xmlBoolValue{in.rec.ebsOptimized}
	case "enaSupport":
		out.EnaSupport = &xmlBoolValue{true}
	case "sriovNetSupport":
		out.SriovNetSupport = &xmlValue{"simple"}
	case "blockDeviceMapping":
		out.BlockDevices = s.blockDevices(in)
	case "enclaveOptions":
		out.EnclaveOptions = &xmlEnabled{}
	case "kernel":
		out.Kernel = &xmlValue{}
	case "ramdisk":
		out.Ramdisk = &xmlValue{}
	}
	return out
}

// modifyInstanceAttribute changes one attribute: DisableApiTermination,
// DisableApiStop, InstanceInitiatedShutdownBehavior, UserData (stopped
// instances only, as EC2), InstanceType (stopped only; its interfaces
// follow), SourceDestCheck, GroupId.N (the primary interface's groups),
// in the structured (X.Value) or the Attribute/Value form.
func (s *Server) modifyInstanceAttribute(c *call) (any, error) {
	id, _ := c.p.str("InstanceId")
	attr, val, err := c.readModifyAttribute()
	if err != nil {
		return nil, err
	}
	groups := c.p.list("GroupId")
	if len(groups) > 0 {
		attr = "groupSet"
	}
	if attr == "" && c.p.ok() {
		return nil, errMissing("Attribute")
	}
	return c.changeInstance(id, func(st *state, in *instance) (any, error) {
		if err := s.setInstanceAttribute(st, in, attr, val, groups); err != nil {
			return nil, err
		}
		return returnResult{true}, nil
	})
}

// modifiable are ModifyInstanceAttribute's structured parameters and the
// attribute each sets.
var modifiable = map[string]string{
	"DisableApiTermination.Value": "disableApiTermination", "DisableApiStop.Value": "disableApiStop",
	"InstanceInitiatedShutdownBehavior.Value": "instanceInitiatedShutdownBehavior", "UserData.Value": "userData",
	"InstanceType.Value": "instanceType", "SourceDestCheck.Value": "sourceDestCheck",
}

// readModifyAttribute reads the one attribute a ModifyInstanceAttribute
// changes and its value.
func (c *call) readModifyAttribute() (string, string, error) {
	var attr, val string
	for _, k := range slices.Sorted(maps.Keys(modifiable)) {
		if v, ok := c.p.str(k); ok {
			if attr != "" {
				return "", "", errorf(codes.InvalidParameterCombination, "Only one attribute can be modified at a time (%s).", k)
			}
			attr, val = modifiable[k], v
		}
	}
	if a, ok := c.p.str("Attribute"); ok {
		if attr != "" {
			return "", "", errorf(codes.InvalidParameterCombination, "Attribute cannot be given with %s.", attr)
		}
		v, _ := c.p.str("Value")
		attr, val = a, v
	}
	return attr, val, nil
}

// setInstanceAttribute changes one attribute of a live instance in st.
func (s *Server) setInstanceAttribute(st *state, in *instance, attr, val string, groups []string) error {
	if attr == "groupSet" {
		p := &st.spec.NetworkInterfaces[findENI(&st.spec, in.primary().NetworkInterfaceId)]
		g, err := s.launchGroups(&st.spec, st.tags, subnetVpc(&st.spec, p.SubnetId), groups, "GroupId")
		p.Groups = g
		return err
	}
	if attr == "sourceDestCheck" {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return errInvalid("SourceDestCheck.Value", val, "It must be true or false.")
		}
		st.spec.NetworkInterfaces[findENI(&st.spec, in.primary().NetworkInterfaceId)].SourceDestCheck = &b
		return nil
	}
	m, err := modelOf(st, in)
	if err != nil {
		return err
	}
	return s.setModelAttribute(st, m, attr, val)
}

// setModelAttribute changes an attribute the model's Instance holds.
func (s *Server) setModelAttribute(st *state, m *cloudmock.Instance, attr, val string) error {
	boolean := func(dst *bool) error {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return errInvalid(attr, val, "It must be true or false.")
		}
		*dst = b
		return nil
	}
	stoppedOnly := func() error {
		if m.Running() {
			return errorf(codes.IncorrectInstanceState, "The instance '%s' is not in the 'stopped' state.", m.InstanceId)
		}
		return nil
	}
	switch attr {
	case "disableApiTermination":
		return boolean(&m.DisableApiTermination)
	case "disableApiStop":
		return boolean(&m.DisableApiStop)
	case "instanceInitiatedShutdownBehavior":
		m.InstanceInitiatedShutdownBehavior = val
		return nil // the model checks the value
	case "userData":
		if err := stoppedOnly(); err != nil {
			return err
		}
		b, err := base64.StdEncoding.DecodeString(val)
		if err != nil {
			b = []byte(val) // the SDKs encode it; a raw value is taken as it is
		}
		m.UserData = string(b)
		return nil
	case "instanceType":
		if err := stoppedOnly(); err != nil {
			return err
		}
		return s.retype(st, m, val)
	}
	return errInvalid("Attribute", attr, "This attribute cannot be modified here.")
}

// retype changes a stopped instance's type, on its interfaces too.
func (s *Server) retype(st *state, m *cloudmock.Instance, typ string) error {
	t := findInstanceType(typ)
	if t == nil {
		return errInvalid("InstanceType", typ, "This instance type does not exist here (see DescribeInstanceTypes).")
	}
	n := 0
	for i := range st.spec.NetworkInterfaces {
		if e := &st.spec.NetworkInterfaces[i]; e.InstanceId == m.InstanceId {
			e.InstanceType = typ
			n++
		}
	}
	if n > t.enis {
		return errorf(codes.AttachmentLimit, "Instance type %s supports at most %d network interfaces; %s has %d.", typ, t.enis, m.InstanceId, n)
	}
	m.InstanceType = typ
	if t.burstable && m.CpuCredits == "" {
		m.CpuCredits = defaultCredits(typ)
	} else if !t.burstable {
		m.CpuCredits = ""
	}
	return nil
}
