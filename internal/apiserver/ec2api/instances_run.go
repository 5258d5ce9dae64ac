package ec2api

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// maxUserData is EC2's limit on user data (before base64 encoding).
const maxUserData = 16 * 1024

// runRequest is a decoded RunInstances.
type runRequest struct {
	image, typ, key, zone, token string
	min, max                     int
	// primary is the primary interface of each instance (subnet, groups,
	// address), from the top-level parameters or NetworkInterface.N with
	// device index 0; more are the other NetworkInterface.N.
	primary    eniRequest
	groupNames []string
	attachENI  string // NetworkInterface.N.NetworkInterfaceId at index 0
	more       []launchENI
	userData   string
	model      cloudmock.Instance // the protection, shutdown and credit options
	meta       xmlMetadataOptions
	// monitored and ebsOptimized are shown, not emulated.
	monitored, ebsOptimized bool
	tags                    map[string][]tag // by resource type
}

// launchENI is a NetworkInterface.N beyond the primary one.
type launchENI struct {
	index int
	eniID string
	req   eniRequest
	keep  bool // DeleteOnTermination false
}

// readRun decodes RunInstances' parameters.
func (c *call) readRun() (*runRequest, error) {
	p := c.p
	r := &runRequest{tags: map[string][]tag{}}
	r.image = p.required("ImageId")
	r.typ = p.required("InstanceType")
	r.min = p.requiredInt("MinCount")
	r.max = p.requiredInt("MaxCount")
	if !p.ok() {
		return nil, p.Err()
	}
	if r.min < 1 || r.max < r.min {
		return nil, errInvalid("MinCount", fmt.Sprint(r.min), fmt.Sprintf("MinCount must be at least 1 and at most MaxCount (%d).", r.max))
	}
	r.key, _ = p.str("KeyName")
	r.token, _ = p.str("ClientToken")
	if err := r.primary.read(p, "SecurityGroupId", "Ipv6Address"); err != nil {
		return nil, err
	}
	if r.groupNames = p.list("SecurityGroup"); !p.ok() {
		return nil, p.Err()
	}
	if err := c.readRunUserData(r); err != nil {
		return nil, err
	}
	if err := c.readRunOptions(r); err != nil {
		return nil, err
	}
	if err := c.readRunInterfaces(r); err != nil {
		return nil, err
	}
	if r.max > 1 && (r.primary.privateIP != "" || r.primary.ipv6 != "") {
		return nil, errorf(codes.InvalidParameterCombination, "A private IP address can be given only when launching one instance (MaxCount 1).")
	}
	r.tags = p.tagSpecsOf("instance", "network-interface", "volume")
	return r, c.begin()
}

// readRunUserData decodes UserData (base64, at most 16 KiB decoded).
func (c *call) readRunUserData(r *runRequest) error {
	v, _ := c.p.str("UserData")
	if v == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return errInvalid("UserData", "(user data)", "Invalid BASE64 encoding of user data.")
	}
	if len(b) > maxUserData {
		return errInvalid("UserData", "(user data)", fmt.Sprintf("User data is limited to %d bytes.", maxUserData))
	}
	r.userData = string(b)
	return nil
}

// readRunOptions decodes the options that the model keeps (protection,
// shutdown behaviour, CPU credits), those the answer shows (metadata
// options, detailed monitoring, EBS optimisation: nothing here depends on
// them) and those that only their default value can have here
// (hibernation, enclaves, placement).
func (c *call) readRunOptions(r *runRequest) error {
	p := c.p
	r.model.DisableApiTermination = p.bool("DisableApiTermination")
	r.model.DisableApiStop = p.bool("DisableApiStop")
	r.model.InstanceInitiatedShutdownBehavior, _ = p.str("InstanceInitiatedShutdownBehavior")
	r.model.CpuCredits, _ = p.str("CreditSpecification.CpuCredits")
	r.zone, _ = p.str("Placement.AvailabilityZone")
	r.meta = defaultMetadataOptions
	if err := readMetadataOptions(p, "MetadataOptions.", &r.meta); err != nil {
		return err
	}
	r.monitored = p.bool("Monitoring.Enabled")
	r.ebsOptimized = p.bool("EbsOptimized")
	for _, off := range []string{"HibernationOptions.Configured", "EnclaveOptions.Enabled"} {
		if on := p.bool(off); on {
			return errorf(codeUnsupported, "%s=true is not supported here: instances are network namespaces.", off)
		}
	}
	// In this order (a slice, not a map), so that with both given the
	// answer names Placement.Tenancy every time.
	for _, pl := range [...]struct{ name, only string }{{"Placement.Tenancy", "default"}, {"Placement.GroupName", ""}} {
		if v, ok := p.str(pl.name); ok && v != pl.only {
			return errorf(codeUnsupported, "%s %q is not supported here (only %q).", pl.name, v, pl.only)
		}
	}
	return p.Err()
}

// readMetadataOptions decodes <prefix>HttpTokens, HttpEndpoint,
// HttpProtocolIpv6, InstanceMetadataTags and HttpPutResponseHopLimit
// over m (RunInstances' MetadataOptions.*, ModifyInstanceMetadataOptions'
// top-level parameters).
func readMetadataOptions(p *params, prefix string, m *xmlMetadataOptions) error {
	// Read in the order above (a slice, not a map): of two bad options
	// the first listed is the answer, every time.
	for _, o := range [...]struct {
		name string
		dst  *string
	}{
		{"HttpTokens", &m.HttpTokens}, {"HttpEndpoint", &m.HttpEndpoint},
		{"HttpProtocolIpv6", &m.HttpProtocolIpv6}, {"InstanceMetadataTags", &m.InstanceMetadataTags},
	} {
		name, dst := o.name, o.dst
		if v, ok := p.str(prefix + name); ok && v != "" {
			allowed := []string{"enabled", "disabled"}
			if name == "HttpTokens" {
				allowed = []string{"optional", "required"}
			}
			if !slices.Contains(allowed, v) {
				return errInvalid(prefix+name, v, "It must be one of: "+strings.Join(allowed, ", ")+".")
			}
			*dst = v
		}
	}
	if n := p.int(prefix + "HttpPutResponseHopLimit"); n != nil {
		if *n < 1 || *n > 64 {
			return errInvalid(prefix+"HttpPutResponseHopLimit", fmt.Sprint(*n), "It must be between 1 and 64.")
		}
		m.HttpPutResponseHopLimit = *n
	}
	return p.Err()
}

// readRunInterfaces decodes NetworkInterface.N: the one at device index 0
// is the primary interface (new, or an existing one by id), which the
// top-level SubnetId, SecurityGroupId and PrivateIpAddress must not also
// describe.
func (c *call) readRunInterfaces(r *runRequest) error {
	idx := c.p.indexes("NetworkInterface")
	if len(idx) == 0 {
		return c.p.Err()
	}
	if r.primary.subnet != "" || len(r.primary.groups) > 0 || r.primary.privateIP != "" || len(r.groupNames) > 0 {
		return errorf(codes.InvalidParameterCombination, "Network interfaces and an instance-level subnet ID, security groups or private IP address may not be specified on the same request")
	}
	seen := map[int]bool{}
	for _, n := range idx {
		pre := fmt.Sprintf("NetworkInterface.%d.", n)
		l := launchENI{req: eniRequest{param: pre}}
		l.index = c.p.requiredInt(pre + "DeviceIndex")
		if c.p.ok() && (seen[l.index] || l.index < 0) {
			return errInvalid(pre+"DeviceIndex", fmt.Sprint(l.index), "Each interface needs its own device index.")
		}
		seen[l.index] = true
		l.eniID, _ = c.p.str(pre + "NetworkInterfaceId")
		del, given := c.p.str(pre + "DeleteOnTermination")
		l.keep = given && strings.EqualFold(del, "false")
		if err := l.req.read(c.p, "SecurityGroupId", "Ipv6Addresses"); err != nil {
			return err
		}
		if l.index == 0 {
			r.primary, r.attachENI = l.req, l.eniID
			continue
		}
		r.more = append(r.more, l)
	}
	if !seen[0] {
		return errorf(codes.InvalidParameterCombination, "A network interface with device index 0 is required when NetworkInterface.N is given.")
	}
	if r.max > 1 && (r.attachENI != "" || len(r.more) > 0 && slices.ContainsFunc(r.more, func(l launchENI) bool { return l.eniID != "" })) {
		return errorf(codes.InvalidParameterCombination, "An existing network interface can be attached to one instance only: MaxCount must be 1.")
	}
	return nil
}
