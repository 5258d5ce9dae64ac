package cloudmock

import (
	"slices"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// instances checks the instances and how interfaces are attached: ids
// unique, a type, known values, a primary interface of the instance's
// type, device indexes unique and ascending in Spec order (the order in
// which the lab makes an instance's eth0, eth1, …).
func (v *validator) instances(s *Spec) {
	seen := map[string]bool{}
	byID := map[string]*Instance{}
	for i := range s.Instances {
		x := &s.Instances[i]
		const res = "Instance"
		v.unique(res, "InstanceId", x.InstanceId, i, seen)
		byID[x.InstanceId] = x
		if x.InstanceType == "" {
			v.add(res, x.InstanceId, i, "InstanceType", codes.MissingParameter, "InstanceType is required")
		}
		for _, f := range []struct{ field, val string }{
			{"State", x.State}, {"InstanceInitiatedShutdownBehavior", x.InstanceInitiatedShutdownBehavior}, {"CpuCredits", x.CpuCredits},
		} {
			if ok := instanceValues[f.field]; f.val != "" && !slices.Contains(ok, f.val) {
				v.add(res, x.InstanceId, i, f.field, codes.InvalidParameterValue, "%s %q is not one of %v", f.field, f.val, ok)
			}
		}
	}
	primary := v.attachments(s, byID)
	for i, x := range s.Instances {
		if !primary[x.InstanceId] {
			v.add("Instance", x.InstanceId, i, "InstanceId", codes.InvalidParameterValue,
				"instance %s has no primary network interface (device index 0)", x.InstanceId)
		}
	}
}

// instanceValues are the values the model accepts for an Instance's
// enumerated fields (besides empty).
var instanceValues = map[string][]string{
	"State":                             {InstanceRunning, InstanceStopped},
	"InstanceInitiatedShutdownBehavior": {"stop", "terminate"},
	"CpuCredits":                        {"standard", "unlimited"},
}

// attachments checks the interfaces' attachments and returns the
// instances that have a primary interface.
func (v *validator) attachments(s *Spec, byID map[string]*Instance) map[string]bool {
	const res = "NetworkInterface"
	last := map[string]int{} // instance -> device index of its last interface so far
	primary := map[string]bool{}
	for i := range s.NetworkInterfaces {
		e := &s.NetworkInterfaces[i]
		id := e.NetworkInterfaceId
		if e.InstanceId == "" {
			if e.Attachment != nil {
				v.add(res, id, i, "Attachment", codes.InvalidParameterCombination, "an attachment needs an InstanceId")
			}
			continue
		}
		prev, seen := last[e.InstanceId]
		idx := prev + 1
		if !seen {
			idx = 0
		}
		if e.Attachment != nil {
			idx = e.Attachment.DeviceIndex
		}
		switch {
		case idx < 0:
			v.add(res, id, i, "Attachment.DeviceIndex", codes.InvalidParameterValue, "device index %d is negative", idx)
		case seen && idx == prev:
			v.add(res, id, i, "Attachment.DeviceIndex", codes.InvalidParameterValue,
				"instance %s already has an interface attached at device index %d", e.InstanceId, idx)
		case seen && idx < prev:
			v.add(res, id, i, "Attachment.DeviceIndex", codes.InvalidParameterValue,
				"device index %d comes after %d on instance %s: keep an instance's interfaces in device-index order", idx, prev, e.InstanceId)
		}
		last[e.InstanceId] = idx
		if idx == 0 {
			primary[e.InstanceId] = true
		}
		if in := byID[e.InstanceId]; in != nil && e.InstanceType != in.InstanceType {
			v.add(res, id, i, "InstanceType", codes.InvalidParameterValue,
				"instance %s is of type %s, not %q", e.InstanceId, in.InstanceType, e.InstanceType)
		}
	}
	return primary
}
