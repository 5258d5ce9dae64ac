package cloudmock

import (
	"errors"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// instanceSpec is a VPC with one subnet and an instance i-1 with two
// interfaces (device indexes 0 and 2).
func instanceSpec() Spec {
	return Spec{
		Vpcs:    []Vpc{{VpcId: "vpc-1", CidrBlock: "10.0.0.0/16"}},
		Subnets: []Subnet{{SubnetId: "subnet-1", VpcId: "vpc-1", CidrBlock: "10.0.0.0/24"}},
		NetworkInterfaces: []NetworkInterface{
			{NetworkInterfaceId: "eni-1", SubnetId: "subnet-1", PrivateIpAddress: "10.0.0.4", InstanceId: "i-1", InstanceType: "m5.large",
				Attachment: &NetworkInterfaceAttachment{AttachmentId: "eni-attach-1", DeviceIndex: 0, DeleteOnTermination: true}},
			{NetworkInterfaceId: "eni-2", SubnetId: "subnet-1", PrivateIpAddress: "10.0.0.5", InstanceId: "i-1", InstanceType: "m5.large",
				Attachment: &NetworkInterfaceAttachment{AttachmentId: "eni-attach-2", DeviceIndex: 2}},
		},
		Instances: []Instance{{InstanceId: "i-1", InstanceType: "m5.large", ImageId: "ami-1", State: InstanceRunning, CpuCredits: "standard"}},
	}
}

func TestValidateInstances(t *testing.T) {
	if s := instanceSpec(); s.Validate() != nil {
		err := s.Validate()
		t.Fatalf("valid spec refused: %v", err)
	}
	cases := []struct {
		name         string
		change       func(*Spec)
		field, code  string
		wantResource string
	}{
		{"no type", func(s *Spec) { s.Instances[0].InstanceType = "" }, "InstanceType", codes.MissingParameter, "Instance"},
		{"bad state", func(s *Spec) { s.Instances[0].State = "pending" }, "State", codes.InvalidParameterValue, "Instance"},
		{"bad credits", func(s *Spec) { s.Instances[0].CpuCredits = "lots" }, "CpuCredits", codes.InvalidParameterValue, "Instance"},
		{"bad shutdown", func(s *Spec) { s.Instances[0].InstanceInitiatedShutdownBehavior = "hibernate" }, "InstanceInitiatedShutdownBehavior", codes.InvalidParameterValue, "Instance"},
		{"twice", func(s *Spec) { s.Instances = append(s.Instances, s.Instances[0]) }, "InstanceId", codes.DuplicateID, "Instance"},
		{"no primary", func(s *Spec) { s.NetworkInterfaces[0].Attachment.DeviceIndex = 1 }, "InstanceId", codes.InvalidParameterValue, "Instance"},
		{"no interface", func(s *Spec) { s.NetworkInterfaces = nil }, "InstanceId", codes.InvalidParameterValue, "Instance"},
		{"same index", func(s *Spec) { s.NetworkInterfaces[1].Attachment.DeviceIndex = 0 }, "Attachment.DeviceIndex", codes.InvalidParameterValue, "NetworkInterface"},
		{"out of order", func(s *Spec) {
			s.NetworkInterfaces[0].Attachment.DeviceIndex, s.NetworkInterfaces[1].Attachment.DeviceIndex = 2, 0
		}, "Attachment.DeviceIndex", codes.InvalidParameterValue, "NetworkInterface"},
		{"negative", func(s *Spec) { s.NetworkInterfaces[1].Attachment.DeviceIndex = -1 }, "Attachment.DeviceIndex", codes.InvalidParameterValue, "NetworkInterface"},
		{"type differs", func(s *Spec) { s.NetworkInterfaces[1].InstanceType = "t2.micro" }, "InstanceType", codes.InvalidParameterValue, "NetworkInterface"},
		{"detached attachment", func(s *Spec) { s.NetworkInterfaces[1].InstanceId = "" }, "Attachment", codes.InvalidParameterCombination, "NetworkInterface"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := instanceSpec()
			c.change(&s)
			err := s.Validate()
			var found bool
			for _, e := range unjoin(err) {
				var ve *ValidationError
				if errors.As(e, &ve) && ve.Resource == c.wantResource && ve.Field == c.field && ve.Code == c.code {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %s %s %s, got %v", c.wantResource, c.field, c.code, err)
			}
		})
	}
}

// A scenario's instances (interfaces with an InstanceId, no Instance, no
// Attachment) keep validating: their device index is their position.
func TestDeviceIndexByPosition(t *testing.T) {
	s := instanceSpec()
	s.Instances = nil
	for i := range s.NetworkInterfaces {
		s.NetworkInterfaces[i].Attachment = nil
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := s.DeviceIndex(1); got != 1 {
		t.Fatalf("DeviceIndex(1) = %d, want 1", got)
	}
}

func TestInsertInterface(t *testing.T) {
	s := instanceSpec()
	s.NetworkInterfaces = append(s.NetworkInterfaces, NetworkInterface{NetworkInterfaceId: "eni-x", SubnetId: "subnet-1", PrivateIpAddress: "10.0.0.9"})
	s.InsertInterface(NetworkInterface{NetworkInterfaceId: "eni-3", SubnetId: "subnet-1", PrivateIpAddress: "10.0.0.6", InstanceId: "i-1",
		InstanceType: "m5.large", Attachment: &NetworkInterfaceAttachment{DeviceIndex: 1}})
	s.InsertInterface(NetworkInterface{NetworkInterfaceId: "eni-4", SubnetId: "subnet-1", PrivateIpAddress: "10.0.0.7", InstanceId: "i-1",
		InstanceType: "m5.large", Attachment: &NetworkInterfaceAttachment{DeviceIndex: 5}})
	var got []string
	for _, e := range s.NetworkInterfaces {
		got = append(got, e.NetworkInterfaceId)
	}
	want := []string{"eni-1", "eni-3", "eni-2", "eni-4", "eni-x"}
	if len(got) != len(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
