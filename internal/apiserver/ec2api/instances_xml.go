package ec2api

import (
	"time"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// The DescribeInstances / RunInstances answer: every field the Terraform
// provider's aws_instance and data "aws_instance" read (checked against
// aws-sdk-go-v2's deserializer of types.Instance).

type xmlInstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

type xmlPlacement struct {
	AvailabilityZone   string `xml:"availabilityZone"`
	AvailabilityZoneId string `xml:"availabilityZoneId,omitempty"`
	GroupName          string `xml:"groupName"`
	Tenancy            string `xml:"tenancy"`
}

type xmlStateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type xmlMetadataOptions struct {
	State                   string `xml:"state"`
	HttpTokens              string `xml:"httpTokens"`
	HttpPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
	HttpEndpoint            string `xml:"httpEndpoint"`
	HttpProtocolIpv6        string `xml:"httpProtocolIpv6"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags"`
}

// defaultMetadataOptions are an instance's metadata options when its
// launch named none (IMDSv2 optional, as EC2's default).
var defaultMetadataOptions = xmlMetadataOptions{State: "applied", HttpTokens: "optional", HttpPutResponseHopLimit: 1,
	HttpEndpoint: "enabled", HttpProtocolIpv6: "disabled", InstanceMetadataTags: "disabled"}

type xmlCPUOptions struct {
	CoreCount      int `xml:"coreCount"`
	ThreadsPerCore int `xml:"threadsPerCore"`
}

type xmlPrivateDNSNameOptions struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDnsARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDnsAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

// xmlInstance is what an instance's answer shows beyond the model's
// Instance (toXMLInstance writes both).
type xmlInstance struct {
	PrivateDnsName        string                   `xml:"privateDnsName"`
	DnsName               string                   `xml:"dnsName"`
	Reason                string                   `xml:"reason"`
	AmiLaunchIndex        int                      `xml:"amiLaunchIndex"`
	LaunchTime            string                   `xml:"launchTime,omitempty"`
	Placement             xmlPlacement             `xml:"placement"`
	Monitoring            xmlState                 `xml:"monitoring"`
	SubnetId              string                   `xml:"subnetId,omitempty"`
	VpcId                 string                   `xml:"vpcId,omitempty"`
	PrivateIpAddress      string                   `xml:"privateIpAddress,omitempty"`
	SourceDestCheck       bool                     `xml:"sourceDestCheck"`
	Groups                []xmlGroupIdent          `xml:"groupSet>item"`
	StateReason           *xmlStateReason          `xml:"stateReason"`
	Architecture          string                   `xml:"architecture"`
	RootDeviceType        string                   `xml:"rootDeviceType"`
	RootDeviceName        string                   `xml:"rootDeviceName"`
	BlockDevices          []xmlInstanceBlockDevice `xml:"blockDeviceMapping>item"`
	VirtualizationType    string                   `xml:"virtualizationType"`
	ClientToken           string                   `xml:"clientToken"`
	Tags                  []tag                    `xml:"tagSet>item"`
	Hypervisor            string                   `xml:"hypervisor"`
	NetworkInterfaces     []xres                   `xml:"networkInterfaceSet>item"`
	EbsOptimized          bool                     `xml:"ebsOptimized"`
	EnaSupport            bool                     `xml:"enaSupport"`
	CPUOptions            xmlCPUOptions            `xml:"cpuOptions"`
	CapacityReservation   xmlCapacityReservation   `xml:"capacityReservationSpecification"`
	Hibernation           xmlConfigured            `xml:"hibernationOptions"`
	MetadataOptions       xmlMetadataOptions       `xml:"metadataOptions"`
	EnclaveOptions        xmlEnabled               `xml:"enclaveOptions"`
	PlatformDetails       string                   `xml:"platformDetails"`
	UsageOperation        string                   `xml:"usageOperation"`
	PrivateDNSNameOptions xmlPrivateDNSNameOptions `xml:"privateDnsNameOptions"`
	MaintenanceOptions    xmlAutoRecovery          `xml:"maintenanceOptions"`
	CurrentBootMode       string                   `xml:"currentInstanceBootMode"`
}

type xmlState struct {
	State string `xml:"state"`
}

type xmlConfigured struct {
	Configured bool `xml:"configured"`
}

type xmlEnabled struct {
	Enabled bool `xml:"enabled"`
}

type xmlAutoRecovery struct {
	AutoRecovery string `xml:"autoRecovery"`
}

type xmlCapacityReservation struct {
	Preference string `xml:"capacityReservationPreference"`
}

type xmlReservation struct {
	ReservationId string     `xml:"reservationId"`
	OwnerId       string     `xml:"ownerId"`
	Groups        []struct{} `xml:"groupSet>item"`
	Instances     []xres     `xml:"instancesSet>item"`
}

type describeInstancesResult struct {
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

// toXMLInstance is an instance as EC2 describes it now: its model entry
// (a scenario's instance has none: its id and type), its state and the
// rest.
func (s *Server) toXMLInstance(spec *cloudmock.Spec, in *instance, tags tagStore) xres {
	m := cloudmock.Instance{InstanceId: in.id}
	if w := in.what(); w != nil {
		m = *w
	}
	code := s.stateOf(in)
	return res(m).set("InstanceType", instanceTypeOf(in)).set("State", xmlInstanceState{Code: code, Name: stateNames[code]}).
		with(xel{"", s.renderInstance(spec, in, tags)})
}

// renderInstance is what DescribeInstances shows of an instance beyond
// the model.
func (s *Server) renderInstance(spec *cloudmock.Spec, in *instance, tags tagStore) xmlInstance {
	code := s.stateOf(in)
	typ := instanceTypeOf(in)
	zone := s.subnetZone(in.subnetOf())
	x := xmlInstance{
		Placement:  xmlPlacement{AvailabilityZone: zone.ZoneName, AvailabilityZoneId: zone.ZoneId, Tenancy: "default"},
		Monitoring: xmlState{State: "disabled"}, SubnetId: in.subnetOf(), VpcId: s.vpcOf(spec, in), SourceDestCheck: true,
		Architecture: "x86_64", RootDeviceType: "ebs", RootDeviceName: "/dev/xvda", VirtualizationType: "hvm",
		Tags: tags.xml(in.id), Hypervisor: "xen", EnaSupport: true, CPUOptions: cpuOptions(typ),
		CapacityReservation: xmlCapacityReservation{Preference: "open"}, MetadataOptions: defaultMetadataOptions,
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", AmiLaunchIndex: in.rec.launchIndex,
		PrivateDNSNameOptions: xmlPrivateDNSNameOptions{HostnameType: "ip-name"},
		MaintenanceOptions:    xmlAutoRecovery{AutoRecovery: "default"}, CurrentBootMode: "legacy-bios",
		Reason: in.rec.reason,
	}
	if m := in.what(); m != nil {
		if im := findImage(m.ImageId); im != nil {
			x.Architecture, x.RootDeviceName = im.arch, im.rootDevice
		}
	}
	if !in.rec.launched.IsZero() {
		x.LaunchTime = in.rec.launched.UTC().Format(time.RFC3339)
		x.ClientToken = in.rec.token
	}
	if in.rec.meta != (xmlMetadataOptions{}) {
		x.MetadataOptions = in.rec.meta
	}
	x.EbsOptimized = in.rec.ebsOptimized
	if in.rec.monitored {
		x.Monitoring.State = "enabled"
	}
	if in.rec.gone != nil {
		x.Tags = tagsXML(in.rec.gone.tags)
	}
	if code == stateTerminated || code == stateShuttingDown {
		x.StateReason = &xmlStateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
		return x // no interfaces, addresses or groups any more
	}
	if code == stateStopping || code == stateStopped {
		x.StateReason = &xmlStateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
	}
	x.BlockDevices = s.blockDevices(in)
	if p := in.primary(); p != nil {
		x.PrivateIpAddress, x.PrivateDnsName = p.PrivateIpAddress, s.privateDNSName(p.PrivateIpAddress)
		x.Groups = s.groupIdents(p.Groups, tags)
	}
	for _, e := range in.enis {
		x.NetworkInterfaces = append(x.NetworkInterfaces, s.eniXML(s.eniOf(spec, e), tags))
	}
	return x
}

// cpuOptions are a type's default cores and threads per core.
func cpuOptions(typ string) xmlCPUOptions {
	if t := findInstanceType(typ); t != nil {
		return xmlCPUOptions{CoreCount: t.cores, ThreadsPerCore: t.vcpus / t.cores}
	}
	return xmlCPUOptions{CoreCount: 1, ThreadsPerCore: 2}
}

// findImage returns the catalogue's image of an id, nil if none.
func findImage(id string) *image {
	for _, im := range imageCatalogue() {
		if im.id() == id {
			return im
		}
	}
	return nil
}
