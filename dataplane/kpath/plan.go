package kpath

import "github.com/mirrorlab/mirrorlab/cloudmock"

// RulesFromPlan converts one ENI direction of a cloudmock.KernelPlan
// (KernelDirection.Rules) into the kernel's rules: one group per session,
// and an accept mirrors into slot(rule's session index). Give each
// (session, direction) its own slot to count the directions apart, as
// cloudmock's Model.CountKernel takes them.
func RulesFromPlan(rules []cloudmock.KernelRule, slot func(session int) uint32) []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		k := Rule{Group: uint16(r.Session), Accept: r.Accept, Proto: r.Proto, Src: r.Src, Dst: r.Dst}
		if r.Accept {
			k.Slot = slot(r.Session)
		}
		if r.HasSport {
			k.SrcPorts = &PortRange{r.Sport[0], r.Sport[1]}
		}
		if r.HasDport {
			k.DstPorts = &PortRange{r.Dport[0], r.Dport[1]}
		}
		out[i] = k
	}
	return out
}

// SessionFromPlan is the kernel's session for a KernelPlan session: the
// MACs (the router's in the receiver's subnet, the receiver's) and the
// receiver's bridge port are the lab's.
func SessionFromPlan(s cloudmock.KernelSession, routerMAC, receiverMAC [6]byte, receiverIfindex int) Session {
	return Session{VNI: s.VNI, OuterSrc: s.OuterSrc, OuterDst: s.OuterDst, SrcMAC: routerMAC, DstMAC: receiverMAC,
		MaxInner: s.MaxInner, ReceiverIfindex: receiverIfindex}
}

// SecurityGroupsFromPlan is the kernel's security groups of a KernelPlan
// direction (nil when the ENI has none: every packet passes), with the
// ENI's flows recorded in connection table connTable.
func SecurityGroupsFromPlan(kd cloudmock.KernelDirection, connTable int) *SecurityGroups {
	if !kd.Stateful {
		return nil
	}
	sg := &SecurityGroups{ConnTable: connTable, Allow: make([]Allow, len(kd.Allow))}
	for i, a := range kd.Allow {
		sg.Allow[i] = Allow{All: a.All, Proto: a.Proto, From: a.From, To: a.To, Peer: a.Peer}
	}
	return sg
}

// NetworkACLFromPlan is the kernel's network ACL of a KernelPlan
// direction (nil when the source subnet has none).
func NetworkACLFromPlan(kd cloudmock.KernelDirection) *NetworkACL {
	if kd.ACL == nil {
		return nil
	}
	a := &NetworkACL{Subnet: kd.Subnet, Entries: make([]ACLEntry, len(kd.ACL))}
	for i, e := range kd.ACL {
		a.Entries[i] = ACLEntry{Allow: e.Allow, All: e.All, Proto: e.Proto, CIDR: e.CIDR}
		if e.HasPorts {
			a.Entries[i].Ports = &PortRange{e.Ports[0], e.Ports[1]}
		}
	}
	return a
}
