package spec

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// instanceSection is the network section's instances. The model has no instance
// of a scenario's own: an instance is its network interfaces' InstanceId.
// Each interface decodes straight into the model's NetworkInterface (its id
// the scenario's name, InstanceId the instance's, PrivateIpAddress the
// address the file gives or "" for the subnet's next free one, which Check
// hands out); the rest of an instance (its name, its place in the file for
// programs and traffic, its VXLAN devices) is the lab's. A long list of
// instances is decoded a chunk at a time (fillRun).
type instanceSection struct {
	List []Instance
}

// Instance is an emulated EC2 instance: one network namespace.
type Instance struct {
	Name              string
	NetworkInterfaces []cloudmock.NetworkInterface
	// VXLANDevices are kernel VXLAN devices made in the instance, for
	// programs that read decapsulated traffic from them (tcpdump -i vxlan0).
	VXLANDevices []VXLANDevice
}

// UnmarshalYAML implements yaml.Unmarshaler: the list by instanceTable.
func (l *instanceSection) UnmarshalYAML(n *yaml.Node) error {
	d := &modelDecoder{} // no places: an interface's is found by its name (refs)
	decodeList(d, n, "instances", func(_ int, it *yaml.Node) { l.add(d, it) })
	return d.err()
}

func (l *instanceSection) add(d *modelDecoder, n *yaml.Node) {
	var in Instance
	decodeInto(d, n, at{}, instanceTable, "an instance", &in)
	for j := range in.NetworkInterfaces {
		in.NetworkInterfaces[j].InstanceId = in.Name
	}
	l.List = append(l.List, in)
}

// fillRun decodes seq, items of the list at network.instances, after the
// instances decoded so far; problems go to errs, in yaml.v3's words.
func (l *instanceSection) fillRun(path string, _ int, seq *yaml.Node) (errs []string, ok bool) {
	if path != "network.instances" {
		return nil, false
	}
	d := &modelDecoder{}
	for _, it := range seq.Content {
		l.add(d, it)
	}
	return d.errs, true
}

var instanceTable = table[Instance]{
	strKey("name", "", func(in *Instance) *string { return &in.Name }, false),
	{name: "networkInterfaces", leaf: true, dec: func(d *modelDecoder, n *yaml.Node, _ at, in *Instance) {
		decodeList(d, n, "network interfaces", func(_ int, it *yaml.Node) {
			var e cloudmock.NetworkInterface
			decodeInto(d, it, at{}, eniTable, "a network interface", &e)
			in.NetworkInterfaces = append(in.NetworkInterfaces, e)
		})
	}, enc: func(in *Instance) *yaml.Node {
		if len(in.NetworkInterfaces) == 0 {
			return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		}
		return encodeList(eniTable, in.NetworkInterfaces)
	}},
	{name: "vxlanDevices", leaf: true, dec: func(d *modelDecoder, n *yaml.Node, _ at, in *Instance) {
		decodeList(d, n, "VXLAN devices", func(_ int, it *yaml.Node) {
			var v VXLANDevice
			decodeInto(d, it, at{}, vxlanTable, "a VXLAN device", &v)
			in.VXLANDevices = append(in.VXLANDevices, v)
		})
	}, enc: func(in *Instance) *yaml.Node { return encodeList(vxlanTable, in.VXLANDevices) }},
}

type eni = cloudmock.NetworkInterface

// eniTable is a network interface: AWS::EC2::NetworkInterface and its MTU
// (default 9001). An Ipv6Address (optional) is an address of the subnet's
// Ipv6CidrBlock; EnablePrimaryIpv6 makes it the primary IPv6 address (a
// session between two such interfaces carries its copies over IPv6).
var eniTable = table[eni]{
	strKey("name", "NetworkInterfaceId", func(e *eni) *string { return &e.NetworkInterfaceId }, false),
	strKey("SubnetId", "SubnetId", func(e *eni) *string { return &e.SubnetId }, false),
	addrKey[eni]("PrivateIpAddress", func(e *eni) *string { return &e.PrivateIpAddress }),
	addrKey[eni]("Ipv6Address", func(e *eni) *string { return &e.Ipv6Address }),
	valueKey("EnablePrimaryIpv6", "EnablePrimaryIpv6", func(e *eni) *bool { return &e.EnablePrimaryIpv6 }, true),
	{name: "GroupSet", field: "Groups", leaf: true, dec: func(d *modelDecoder, n *yaml.Node, _ at, e *eni) {
		e.Groups, _ = leaf[[]string](d, n)
	}, enc: strListKey("GroupSet", "Groups", func(e *eni) *[]string { return &e.Groups }).enc},
	strKey("Description", "Description", func(e *eni) *string { return &e.Description }, true),
	intKey("mtu", "Mtu", func(e *eni) *int { return &e.Mtu }, true),
}

var vxlanTable = table[VXLANDevice]{
	strKey("name", "", func(v *VXLANDevice) *string { return &v.Name }, false),
	intKey("vni", "", func(v *VXLANDevice) *int { return &v.VNI }, false),
	strKey("networkInterface", "", func(v *VXLANDevice) *string { return &v.NetworkInterface }, true),
}

// eniFieldPath is the document path, below an interface, of the model's
// field f (Groups[1]: GroupSet[1]).
func eniFieldPath(f string) string {
	name, rest, _ := strings.Cut(f, "[")
	if rest != "" {
		rest = "[" + rest
	}
	return eniTable.yamlKey(name) + rest
}
