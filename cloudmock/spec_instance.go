package cloudmock

// Instance is an EC2 instance launched through the API: what it runs and
// how, not how it is presented (launch time, the pending and stopping
// clocks stay with the API server). Its network interfaces are the
// Spec's NetworkInterfaces whose InstanceId is its id, in device-index
// order; the one at device index 0 (its primary interface) must exist.
// Its subnet, VPC, addresses and groups are those of its interfaces: the
// model keeps them in one place. A terminated instance leaves the Spec.
type Instance struct {
	InstanceId string `json:"InstanceId" yaml:"InstanceId"`
	// InstanceType (e.g. m5.large) is also the InstanceType of each of
	// its network interfaces (the mirror-source rule reads it there).
	InstanceType string `json:"InstanceType" yaml:"InstanceType"`
	// ImageId is the image it was launched from (the API's catalogue).
	ImageId string `json:"ImageId,omitempty" yaml:"ImageId,omitempty"`
	KeyName string `json:"KeyName,omitempty" yaml:"KeyName,omitempty"`
	// UserData is the decoded user data; a "#!" script runs inside the
	// instance while it is running.
	UserData string `json:"UserData,omitempty" yaml:"UserData,omitempty"`
	// State is "running" (also when empty) or "stopped".
	State string `json:"State,omitempty" yaml:"State,omitempty"`
	// DisableApiTermination and DisableApiStop protect the instance from
	// TerminateInstances and StopInstances.
	DisableApiTermination bool `json:"DisableApiTermination,omitempty" yaml:"DisableApiTermination,omitempty"`
	DisableApiStop        bool `json:"DisableApiStop,omitempty" yaml:"DisableApiStop,omitempty"`
	// InstanceInitiatedShutdownBehavior is "stop" (also when empty) or
	// "terminate".
	InstanceInitiatedShutdownBehavior string `json:"InstanceInitiatedShutdownBehavior,omitempty" yaml:"InstanceInitiatedShutdownBehavior,omitempty"`
	// CpuCredits is a burstable instance's credit option, "standard" or
	// "unlimited"; empty for other types.
	CpuCredits string `json:"CpuCredits,omitempty" yaml:"CpuCredits,omitempty"`
}

// Instance states the model knows (EC2's instance-state names).
const (
	InstanceRunning = "running"
	InstanceStopped = "stopped"
)

// Running says whether the instance runs (State empty or running).
func (in *Instance) Running() bool { return in.State == "" || in.State == InstanceRunning }

// NetworkInterfaceAttachment is how an interface is attached to its
// instance (EC2's NetworkInterface.Attachment; the instance is the
// interface's InstanceId).
type NetworkInterfaceAttachment struct {
	AttachmentId string `json:"AttachmentId,omitempty" yaml:"AttachmentId,omitempty"`
	// DeviceIndex is the interface's place on the instance: 0 is the
	// primary interface (eth0), 1 the next (eth1), …
	DeviceIndex int `json:"DeviceIndex" yaml:"DeviceIndex"`
	// DeleteOnTermination deletes the interface with its instance.
	DeleteOnTermination bool `json:"DeleteOnTermination,omitempty" yaml:"DeleteOnTermination,omitempty"`
}

// DeviceIndex is an interface's device index: its Attachment's, else its
// position among its instance's interfaces in the Spec (i is its index in
// s.NetworkInterfaces). Only meaningful when InstanceId is set.
func (s *Spec) DeviceIndex(i int) int {
	e := &s.NetworkInterfaces[i]
	if e.Attachment != nil {
		return e.Attachment.DeviceIndex
	}
	n := 0
	for j := range i {
		if s.NetworkInterfaces[j].InstanceId == e.InstanceId {
			n++
		}
	}
	return n
}

// FindInstance returns the index of an instance in s.Instances, -1 if none.
func (s *Spec) FindInstance(id string) int {
	for i := range s.Instances {
		if s.Instances[i].InstanceId == id {
			return i
		}
	}
	return -1
}

// InsertInterface adds e (attached to e.InstanceId at its Attachment's
// device index) to the Spec where its device index keeps the instance's
// interfaces in device-index order: after the instance's last interface
// of a lower index, else before its first, else at the end.
func (s *Spec) InsertInterface(e NetworkInterface) {
	at := len(s.NetworkInterfaces)
	if e.InstanceId != "" && e.Attachment != nil {
		first := -1
		for i := range s.NetworkInterfaces {
			if s.NetworkInterfaces[i].InstanceId != e.InstanceId {
				continue
			}
			if first < 0 {
				first = i
			}
			if s.DeviceIndex(i) < e.Attachment.DeviceIndex {
				at = i + 1
			} else if at == len(s.NetworkInterfaces) {
				at = first
			}
		}
	}
	s.NetworkInterfaces = append(s.NetworkInterfaces[:at], append([]NetworkInterface{e}, s.NetworkInterfaces[at:]...)...)
}
