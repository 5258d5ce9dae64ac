package sim

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// VXLANPort is the IANA VXLAN port, the one mirror sessions send to.
const VXLANPort = 4789

// VXLAN is a kernel VXLAN device inside an instance.
type VXLAN struct {
	Name  string
	Index int // inside the instance namespace
	VNI   uint32
	MTU   int // the kernel's choice: the ENI's MTU minus 50
}

// AddVXLAN creates a kernel VXLAN device in the instance and brings it up,
// as the reference walk-through does on its adapter:
//
//	ip link add IFNAME type vxlan id VNI dev ENI dstport 4789; ip link set IFNAME up
//
// The device receives every VXLAN datagram with that VNI sent to any address
// of the instance on UDP 4789 and hands the inner frames up as received on
// IFNAME. It is removed with the lab.
func (in *Instance) AddVXLAN(eni, ifname string, vni uint32) (*VXLAN, error) {
	e := in.ENI(eni)
	if e == nil {
		return nil, fmt.Errorf("add vxlan %s: instance %s has no ENI %q", ifname, in.Name, eni)
	}
	if err := checkIfName(ifname); err != nil {
		return nil, fmt.Errorf("add vxlan in %s: %w", in.Name, err)
	}
	if vni >= 1<<24 {
		return nil, fmt.Errorf("add vxlan %s in %s: VNI %d does not fit in 24 bits", ifname, in.Name, vni)
	}
	// The lab's lock keeps Close from closing the handle under us.
	in.lab.mu.Lock()
	defer in.lab.mu.Unlock()
	if in.lab.closing {
		return nil, fmt.Errorf("add vxlan %s in %s: %w", ifname, in.Name, errClosed)
	}
	la := netlink.NewLinkAttrs()
	la.Name = ifname
	dev := &netlink.Vxlan{LinkAttrs: la, VxlanId: int(vni), VtepDevIndex: e.Index, Port: VXLANPort, Learning: true}
	if err := in.nl.LinkAdd(dev); err != nil {
		return nil, fmt.Errorf("add vxlan %s (vni %d, dev %s) in %s: %w", ifname, vni, eni, in.Name, err)
	}
	link, err := in.nl.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("vxlan %s in %s: %w", ifname, in.Name, err)
	}
	if err := in.nl.LinkSetUp(link); err != nil {
		return nil, fmt.Errorf("vxlan %s in %s: up: %w", ifname, in.Name, err)
	}
	return &VXLAN{Name: ifname, Index: link.Attrs().Index, VNI: vni, MTU: link.Attrs().MTU}, nil
}
