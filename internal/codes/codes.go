package codes

const (
	// SourceInstanceType is the code of a session refused because its
	// source ENI's instance type cannot be a mirror source. EC2's own code
	// and message for it are not documented; InvalidParameterValue is what
	// EC2 answers for a source it refuses otherwise.
	SourceInstanceType = InvalidParameterValue
	// PeeringNotFound is the EC2 code for an unknown peering connection.
	PeeringNotFound = "InvalidVpcPeeringConnectionID.NotFound"
	// PeeringExists is the EC2 code for a second connection between the
	// same two VPCs.
	PeeringExists = "VpcPeeringConnectionAlreadyExists"
	// The codes below are EC2's (ELBv2's for its resources); the model
	// speaks the EC2 API's vocabulary for both providers' profiles.
	InstanceNotFound            = "InvalidInstanceID.NotFound"
	AttachmentLimit             = "AttachmentLimitExceeded"
	IncorrectInstanceState      = "IncorrectInstanceState"
	RouteTableNotFound          = "InvalidRouteTableID.NotFound"
	RouteExists                 = "RouteAlreadyExists"
	AlreadyAssociated           = "Resource.AlreadyAssociated"
	TransitGatewayNotFound      = "InvalidTransitGatewayID.NotFound"
	DuplicateAttachment         = "DuplicateTransitGatewayAttachment"
	DuplicateSubnetsInZone      = "DuplicateSubnetsInSameZone"
	InvalidParameterValue       = "InvalidParameterValue"
	InvalidParameterCombination = "InvalidParameterCombination"
	MissingParameter            = "MissingParameter"
	DuplicateID                 = "InvalidParameterValue.Duplicate"
	VpcNotFound                 = "InvalidVpcID.NotFound"
	SubnetNotFound              = "InvalidSubnetID.NotFound"
	SubnetRange                 = "InvalidSubnet.Range"
	GroupNotFound               = "InvalidGroup.NotFound"
	NetworkInterfaceNotFound    = "InvalidNetworkInterfaceID.NotFound"
	IPAddressInUse              = "InvalidIPAddress.InUse"
	LoadBalancerNotFound        = "LoadBalancerNotFound"
	// FilterNotFound and TargetNotFound are the codes the EC2
	// service answers with (the ones the SDKs' waiters and the Terraform
	// provider match), not the error reference's "InvalidTrafficMirror
	// FilterNotFound"/"...TargetNoFound" spellings.
	FilterNotFound                  = "InvalidTrafficMirrorFilterId.NotFound"
	TargetNotFound                  = "InvalidTrafficMirrorTargetId.NotFound"
	NetworkAclEntryExists           = "NetworkAclEntryAlreadyExists"
	FilterRuleExists                = "TrafficMirrorFilterRuleAlreadyExists"
	FilterRuleLimitExceeded         = "TrafficMirrorFilterRuleLimitExceeded"
	SessionLimitExceeded            = "TrafficMirrorSessionLimitExceeded"
	SourceLimitExceeded             = "TrafficMirrorSourcesPerSessionLimitExceeded"
	Unsupported                     = "UnsupportedOperation"
	TargetGroupNotFound             = "TargetGroupNotFound"
	VpcEndpointServiceNotFound      = "InvalidVpcEndpointServiceId.NotFound"
	TooManyLoadBalancers            = "TooManyLoadBalancers"
	TooManyTargetGroups             = "TooManyTargetGroups"
	SubnetConflict                  = "InvalidSubnet.Conflict"
	GroupDuplicate                  = "InvalidGroup.Duplicate"
	VpcLimitExceeded                = "VpcLimitExceeded"
	VpcRange                        = "InvalidVpc.Range"
	Dependency                      = "DependencyViolation"
	CannotDelete                    = "CannotDelete"
	NetworkAclEntryLimitExceeded    = "NetworkAclEntryLimitExceeded"
	RulesPerSecurityGroupExceeded   = "RulesPerSecurityGroupLimitExceeded"
	SecurityGroupsPerENIExceeded    = "SecurityGroupsPerInterfaceLimitExceeded"
	FilterLimitExceeded             = "TrafficMirrorFilterLimitExceeded"
	TargetLimitExceeded             = "TrafficMirrorTargetLimitExceeded"
	SessionsPerAccountLimitExceeded = SessionLimitExceeded
)
