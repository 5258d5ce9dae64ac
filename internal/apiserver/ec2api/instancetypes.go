package ec2api

import (
	"fmt"
	"slices"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// A small catalogue of instance types, with the figures AWS publishes for
// them (vCPUs, memory, network interfaces and addresses per interface,
// network performance, hypervisor: nitro or xen). Whether a type can be a
// traffic mirror source is the model's rule (cloudmock.
// MirrorSourceSupported), not this table's.

// instanceType is one catalogue entry.
type instanceType struct {
	name       string
	vcpus      int
	cores      int
	memMiB     int
	arch       []string
	hypervisor string // "nitro" or "xen"
	enis, ips  int    // interfaces, IPv4 addresses per interface
	network    string // NetworkPerformance
	burstable  bool
	freeTier   bool
	clockGHz   string
}

var instanceTypeCatalogue = []instanceType{
	{"t2.micro", 1, 1, 1024, []string{"i386", "x86_64"}, "xen", 2, 2, "Low to Moderate", true, true, "2.5"},
	{"t2.small", 1, 1, 2048, []string{"i386", "x86_64"}, "xen", 3, 4, "Low to Moderate", true, false, "2.5"},
	{"t3.micro", 2, 1, 1024, []string{"x86_64"}, "nitro", 2, 2, "Up to 5 Gigabit", true, true, "2.5"},
	{"t3.small", 2, 1, 2048, []string{"x86_64"}, "nitro", 3, 4, "Up to 5 Gigabit", true, false, "2.5"},
	{"t3.medium", 2, 1, 4096, []string{"x86_64"}, "nitro", 3, 6, "Up to 5 Gigabit", true, false, "2.5"},
	{"t4g.micro", 2, 2, 1024, []string{"arm64"}, "nitro", 2, 2, "Up to 5 Gigabit", true, false, "2.5"},
	{"m4.large", 2, 1, 8192, []string{"x86_64"}, "xen", 2, 10, "Moderate", false, false, "2.4"},
	{"m5.large", 2, 1, 8192, []string{"x86_64"}, "nitro", 3, 10, "Up to 10 Gigabit", false, false, "3.1"},
	{"m5.xlarge", 4, 2, 16384, []string{"x86_64"}, "nitro", 4, 15, "Up to 10 Gigabit", false, false, "3.1"},
	{"m6i.large", 2, 1, 8192, []string{"x86_64"}, "nitro", 3, 10, "Up to 12.5 Gigabit", false, false, "3.5"},
	{"m6g.large", 2, 2, 8192, []string{"arm64"}, "nitro", 3, 10, "Up to 10 Gigabit", false, false, "2.5"},
	{"c5.large", 2, 1, 4096, []string{"x86_64"}, "nitro", 3, 10, "Up to 10 Gigabit", false, false, "3.4"},
	{"c6gn.large", 2, 2, 4096, []string{"arm64"}, "nitro", 3, 10, "Up to 25 Gigabit", false, false, "2.5"},
	{"r5.large", 2, 1, 16384, []string{"x86_64"}, "nitro", 3, 10, "Up to 10 Gigabit", false, false, "3.1"},
}

type xmlVCpuInfo struct {
	DefaultVCpus          int `xml:"defaultVCpus"`
	DefaultCores          int `xml:"defaultCores"`
	DefaultThreadsPerCore int `xml:"defaultThreadsPerCore"`
}

type xmlProcessorInfo struct {
	Architectures []string `xml:"supportedArchitectures>item"`
	ClockGHz      string   `xml:"sustainedClockSpeedInGhz"`
	Manufacturer  string   `xml:"manufacturer"`
}

type xmlNetworkCard struct {
	Index                    int    `xml:"networkCardIndex"`
	NetworkPerformance       string `xml:"networkPerformance"`
	MaximumNetworkInterfaces int    `xml:"maximumNetworkInterfaces"`
}

type xmlNetworkInfo struct {
	NetworkPerformance        string           `xml:"networkPerformance"`
	MaximumNetworkInterfaces  int              `xml:"maximumNetworkInterfaces"`
	MaximumNetworkCards       int              `xml:"maximumNetworkCards"`
	DefaultNetworkCardIndex   int              `xml:"defaultNetworkCardIndex"`
	NetworkCards              []xmlNetworkCard `xml:"networkCards>item"`
	Ipv4AddressesPerInterface int              `xml:"ipv4AddressesPerInterface"`
	Ipv6AddressesPerInterface int              `xml:"ipv6AddressesPerInterface"`
	Ipv6Supported             bool             `xml:"ipv6Supported"`
	EnaSupport                string           `xml:"enaSupport"`
	EfaSupported              bool             `xml:"efaSupported"`
	EncryptionInTransit       bool             `xml:"encryptionInTransitSupported"`
}

type xmlEbsInfo struct {
	EbsOptimizedSupport string `xml:"ebsOptimizedSupport"`
	EncryptionSupport   string `xml:"encryptionSupport"`
	NvmeSupport         string `xml:"nvmeSupport"`
}

type xmlInstanceType struct {
	InstanceType        string           `xml:"instanceType"`
	CurrentGeneration   bool             `xml:"currentGeneration"`
	FreeTierEligible    bool             `xml:"freeTierEligible"`
	UsageClasses        []string         `xml:"supportedUsageClasses>item"`
	RootDeviceTypes     []string         `xml:"supportedRootDeviceTypes>item"`
	VirtualizationTypes []string         `xml:"supportedVirtualizationTypes>item"`
	BareMetal           bool             `xml:"bareMetal"`
	Hypervisor          string           `xml:"hypervisor"`
	ProcessorInfo       xmlProcessorInfo `xml:"processorInfo"`
	VCpuInfo            xmlVCpuInfo      `xml:"vCpuInfo"`
	MemoryInfo          struct {
		SizeInMiB int `xml:"sizeInMiB"`
	} `xml:"memoryInfo"`
	InstanceStorage      bool           `xml:"instanceStorageSupported"`
	EbsInfo              xmlEbsInfo     `xml:"ebsInfo"`
	NetworkInfo          xmlNetworkInfo `xml:"networkInfo"`
	PlacementStrategies  []string       `xml:"placementGroupInfo>supportedStrategies>item"`
	HibernationSupported bool           `xml:"hibernationSupported"`
	Burstable            bool           `xml:"burstablePerformanceSupported"`
	DedicatedHosts       bool           `xml:"dedicatedHostsSupported"`
	AutoRecovery         bool           `xml:"autoRecoverySupported"`
	BootModes            []string       `xml:"supportedBootModes>item"`
	NitroEnclaves        string         `xml:"nitroEnclavesSupport"`
	NitroTpm             string         `xml:"nitroTpmSupport"`
}

func toXMLInstanceType(t *instanceType) xmlInstanceType {
	nitro := t.hypervisor == "nitro"
	x := xmlInstanceType{
		InstanceType: t.name, CurrentGeneration: true, FreeTierEligible: t.freeTier,
		UsageClasses: []string{"on-demand", "spot"}, RootDeviceTypes: []string{"ebs"}, VirtualizationTypes: []string{"hvm"},
		Hypervisor: t.hypervisor, ProcessorInfo: xmlProcessorInfo{Architectures: t.arch, ClockGHz: t.clockGHz, Manufacturer: "Intel"},
		VCpuInfo: xmlVCpuInfo{DefaultVCpus: t.vcpus, DefaultCores: t.cores, DefaultThreadsPerCore: t.vcpus / t.cores},
		EbsInfo:  xmlEbsInfo{EbsOptimizedSupport: "default", EncryptionSupport: "supported", NvmeSupport: "required"},
		NetworkInfo: xmlNetworkInfo{
			NetworkPerformance: t.network, MaximumNetworkInterfaces: t.enis, MaximumNetworkCards: 1,
			NetworkCards:              []xmlNetworkCard{{NetworkPerformance: t.network, MaximumNetworkInterfaces: t.enis}},
			Ipv4AddressesPerInterface: t.ips, Ipv6AddressesPerInterface: t.ips, Ipv6Supported: true, EnaSupport: "required",
		},
		PlacementStrategies: []string{"partition", "spread"}, HibernationSupported: true, Burstable: t.burstable,
		DedicatedHosts: !t.burstable, AutoRecovery: true, BootModes: []string{"legacy-bios", "uefi"},
		NitroEnclaves: "unsupported", NitroTpm: "supported",
	}
	x.MemoryInfo.SizeInMiB = t.memMiB
	if !t.burstable {
		x.PlacementStrategies = append([]string{"cluster"}, x.PlacementStrategies...)
	}
	if slices.Contains(t.arch, "arm64") {
		x.ProcessorInfo.Manufacturer, x.BootModes = "AWS", []string{"uefi"}
	}
	if !nitro {
		x.EbsInfo = xmlEbsInfo{EbsOptimizedSupport: "unsupported", EncryptionSupport: "supported", NvmeSupport: "unsupported"}
		x.NetworkInfo.EnaSupport, x.BootModes, x.NitroTpm = "unsupported", []string{"legacy-bios"}, "unsupported"
		if !t.burstable {
			x.EbsInfo.EbsOptimizedSupport = "default"
		}
	}
	return x
}

func instanceTypeFilters() filterFields[*instanceType] {
	type T = *instanceType
	x := func(f func(xmlInstanceType) []string) func(T) []string {
		return func(t T) []string { return f(toXMLInstanceType(t)) }
	}
	n := func(f func(v xmlInstanceType) int) func(T) []string {
		return x(func(v xmlInstanceType) []string { return num(f(v)) })
	}
	b := func(f func(v xmlInstanceType) bool) func(T) []string {
		return x(func(v xmlInstanceType) []string { return tf(f(v)) })
	}
	str := func(f func(v xmlInstanceType) string) func(T) []string {
		return x(func(v xmlInstanceType) []string { return one(f(v)) })
	}
	return filterFields[T]{
		"auto-recovery-supported":                      b(func(v xmlInstanceType) bool { return v.AutoRecovery }),
		"bare-metal":                                   b(func(v xmlInstanceType) bool { return v.BareMetal }),
		"burstable-performance-supported":              b(func(v xmlInstanceType) bool { return v.Burstable }),
		"current-generation":                           b(func(v xmlInstanceType) bool { return v.CurrentGeneration }),
		"dedicated-hosts-supported":                    b(func(v xmlInstanceType) bool { return v.DedicatedHosts }),
		"ebs-info.ebs-optimized-support":               str(func(v xmlInstanceType) string { return v.EbsInfo.EbsOptimizedSupport }),
		"ebs-info.encryption-support":                  str(func(v xmlInstanceType) string { return v.EbsInfo.EncryptionSupport }),
		"ebs-info.nvme-support":                        str(func(v xmlInstanceType) string { return v.EbsInfo.NvmeSupport }),
		"free-tier-eligible":                           b(func(v xmlInstanceType) bool { return v.FreeTierEligible }),
		"hibernation-supported":                        b(func(v xmlInstanceType) bool { return v.HibernationSupported }),
		"hypervisor":                                   str(func(v xmlInstanceType) string { return v.Hypervisor }),
		"instance-storage-supported":                   b(func(v xmlInstanceType) bool { return v.InstanceStorage }),
		"instance-type":                                func(t T) []string { return one(t.name) },
		"memory-info.size-in-mib":                      func(t T) []string { return num(t.memMiB) },
		"network-info.efa-supported":                   b(func(v xmlInstanceType) bool { return v.NetworkInfo.EfaSupported }),
		"network-info.ena-support":                     str(func(v xmlInstanceType) string { return v.NetworkInfo.EnaSupport }),
		"network-info.encryption-in-transit-supported": b(func(v xmlInstanceType) bool { return v.NetworkInfo.EncryptionInTransit }),
		"network-info.ipv4-addresses-per-interface":    func(t T) []string { return num(t.ips) },
		"network-info.ipv6-addresses-per-interface":    func(t T) []string { return num(t.ips) },
		"network-info.ipv6-supported":                  func(T) []string { return tf(true) },
		"network-info.maximum-network-cards":           n(func(v xmlInstanceType) int { return v.NetworkInfo.MaximumNetworkCards }),
		"network-info.maximum-network-interfaces":      func(t T) []string { return num(t.enis) },
		"network-info.network-performance":             func(t T) []string { return one(t.network) },
		"processor-info.manufacturer":                  str(func(v xmlInstanceType) string { return v.ProcessorInfo.Manufacturer }),
		"processor-info.supported-architecture":        func(t T) []string { return slices.Clone(t.arch) },
		"processor-info.sustained-clock-speed-in-ghz":  func(t T) []string { return one(t.clockGHz) },
		"supported-boot-mode":                          x(func(v xmlInstanceType) []string { return v.BootModes }),
		"supported-root-device-type":                   func(T) []string { return one("ebs") },
		"supported-usage-class":                        func(T) []string { return []string{"on-demand", "spot"} },
		"supported-virtualization-type":                func(T) []string { return one("hvm") },
		"vcpu-info.default-cores":                      func(t T) []string { return num(t.cores) },
		"vcpu-info.default-threads-per-core":           func(t T) []string { return num(t.vcpus / t.cores) },
		"vcpu-info.default-vcpus":                      func(t T) []string { return num(t.vcpus) },
	}
}

type describeInstanceTypesResult struct {
	Types     []xmlInstanceType `xml:"instanceTypeSet>item"`
	NextToken string            `xml:"nextToken,omitempty"`
}

// describeInstanceTypes answers the catalogue: the types of
// InstanceType.N (an unknown one is InvalidInstanceType, as EC2 answers),
// filtered, paged (MaxResults 5-100, as EC2 documents).
func (s *Server) describeInstanceTypes(c *call) (any, error) {
	q, err := c.readDescribePage("InstanceType", 100, "IncludeUnsupportedInRegion")
	if err != nil {
		return nil, err
	}
	names, fs, pg := q.ids, q.fs, q.pg
	return c.read(func(*cloudmock.Spec, tagStore) (any, error) {
		var items []*instanceType
		var unknown []string
		for _, n := range names {
			if findInstanceType(n) == nil {
				unknown = append(unknown, n)
			}
		}
		if len(unknown) > 0 {
			return nil, errorf("InvalidInstanceType", "The following supplied instance types do not exist: %v", unknown)
		}
		for i := range instanceTypeCatalogue {
			if t := &instanceTypeCatalogue[i]; len(names) == 0 || slices.Contains(names, t.name) {
				items = append(items, t)
			}
		}
		id := func(t *instanceType) string { return t.name }
		items, next, err := filterPage(items, fs, pg, instanceTypeFilters(), id, tagStore{})
		if err != nil {
			return nil, err
		}
		out := describeInstanceTypesResult{NextToken: next}
		for _, t := range items {
			out.Types = append(out.Types, toXMLInstanceType(t))
		}
		return out, nil
	})
}

// findInstanceType returns the catalogue's entry of a type, nil if none.
func findInstanceType(name string) *instanceType {
	for i := range instanceTypeCatalogue {
		if instanceTypeCatalogue[i].name == name {
			return &instanceTypeCatalogue[i]
		}
	}
	return nil
}

type xmlOffering struct {
	InstanceType string `xml:"instanceType"`
	LocationType string `xml:"locationType"`
	Location     string `xml:"location"`
}

type describeOfferingsResult struct {
	Offerings []xmlOffering `xml:"instanceTypeOfferingSet>item"`
	NextToken string        `xml:"nextToken,omitempty"`
}

// describeInstanceTypeOfferings answers where each catalogue type is
// offered: in the region (LocationType region, the default) or in each of
// its availability zones (availability-zone, availability-zone-id); every
// type is offered everywhere. Filters location and instance-type; paged
// (MaxResults 5-1000).
func (s *Server) describeInstanceTypeOfferings(c *call) (any, error) {
	lt, _ := c.p.str("LocationType")
	if lt == "" {
		lt = "region"
	}
	if !slices.Contains([]string{"region", "availability-zone", "availability-zone-id", "outpost"}, lt) {
		return nil, errInvalid("LocationType", lt, "It must be one of: region, availability-zone, availability-zone-id, outpost.")
	}
	q, err := c.readDescribePage("", 1000)
	if err != nil {
		return nil, err
	}
	fs, pg := q.fs, q.pg
	return c.read(func(*cloudmock.Spec, tagStore) (any, error) {
		var items []xmlOffering
		for _, loc := range s.offeringLocations(lt) {
			for _, t := range instanceTypeCatalogue {
				items = append(items, xmlOffering{InstanceType: t.name, LocationType: lt, Location: loc})
			}
		}
		id := func(o xmlOffering) string { return fmt.Sprintf("%s/%s", o.Location, o.InstanceType) }
		items, next, err := filterPage(items, fs, pg, filterFields[xmlOffering]{
			"location":      func(o xmlOffering) []string { return one(o.Location) },
			"instance-type": func(o xmlOffering) []string { return one(o.InstanceType) },
		}, id, tagStore{})
		if err != nil {
			return nil, err
		}
		return describeOfferingsResult{Offerings: items, NextToken: next}, nil
	})
}

// offeringLocations are the locations of a LocationType in the region
// (none for outpost: the account has no Outposts).
func (s *Server) offeringLocations(lt string) []string {
	var out []string
	switch lt {
	case "region":
		out = []string{s.cfg.Region}
	case "availability-zone", "availability-zone-id":
		for _, z := range availabilityZones(s.cfg.Region) {
			out = append(out, map[bool]string{true: z.ZoneName, false: z.ZoneId}[lt == "availability-zone"])
		}
	}
	return out
}
