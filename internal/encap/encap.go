package encap

const (
	// VXLANPort is the outer UDP destination port.
	VXLANPort = 4789
	// VXLANFlags is the first byte of the VXLAN header: the I flag (VNI valid).
	VXLANFlags = 0x08
	// VXLANHeaderLen, OuterIPv4Len, UDPHeaderLen, EthernetHeaderLen are the
	// header sizes; OuterOverhead (50) is what the copy adds to the inner IP
	// packet: outer IPv4 + UDP + VXLAN + inner Ethernet.
	VXLANHeaderLen    = 8
	OuterIPv4Len      = 20
	OuterIPv6Len      = 40
	UDPHeaderLen      = 8
	EthernetHeaderLen = 14
	OuterOverhead     = OuterIPv4Len + UDPHeaderLen + VXLANHeaderLen + EthernetHeaderLen
	// OuterTTL is the outer IPv4 TTL seen in the AWS capture (and the
	// outer IPv6 hop limit the model uses).
	OuterTTL = 255
	// GenevePort is the UDP destination port of GENEVE.
	GenevePort = 6081
	// GeneveHeaderLen is the fixed GENEVE header.
	GeneveHeaderLen = 8
	// GeneveOptionClassAWS is the option class of a GWLB's TLVs.
	GeneveOptionClassAWS = 0x0108
	// The option types of a GWLB's TLVs.
	GeneveOptionEndpointID   = 1
	GeneveOptionAttachmentID = 2
	GeneveOptionFlowCookie   = 3
	// GWLBOptionsLen is the three options with their 4-byte headers.
	GWLBOptionsLen = (4 + 8) + (4 + 8) + (4 + 4)
	// GWLBGeneveLen is the GENEVE header with a GWLB's options (40).
	GWLBGeneveLen = GeneveHeaderLen + GWLBOptionsLen
	// GWLBOverhead (68) is what a GWLB adds to the packet it forwards:
	// outer IPv4, UDP and GENEVE with its options (AWS: "68 bytes").
	GWLBOverhead = OuterIPv4Len + UDPHeaderLen + GWLBGeneveLen
	// EtherTypes and IP protocol numbers the model looks at.
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806
	EtherTypeIPv6 = 0x86DD
	EtherTypeVLAN = 0x8100
	EtherTypeQinQ = 0x88A8
	ProtoICMP     = 1
	ProtoTCP      = 6
	ProtoUDP      = 17
	ProtoICMPv6   = 58
)
