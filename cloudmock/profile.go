package cloudmock

import "fmt"

// RejectBehavior says what a matching reject rule does.
type RejectBehavior uint8

const (
	// RejectStops: the first matching rule, accept or reject, decides the
	// packet's fate for the source ENI (the AWS launch post: "the first match
	// (accept or reject) is used").
	RejectStops RejectBehavior = iota
	// RejectFallsThrough: a reject ends only its session; the next session is
	// tried.
	RejectFallsThrough
)

// String returns the profile option's name.
func (r RejectBehavior) String() string {
	if r == RejectFallsThrough {
		return "reject-falls-through"
	}
	return "reject-stops"
}

// parseRejectBehavior maps "reject-stops" (or "") and "reject-falls-through".
func parseRejectBehavior(s string) (RejectBehavior, error) {
	switch s {
	case "", "reject-stops":
		return RejectStops, nil
	case "reject-falls-through":
		return RejectFallsThrough, nil
	}
	return RejectStops, fmt.Errorf("unknown reject behaviour %q (want reject-stops or reject-falls-through)", s)
}

// TruncationBase says which MTU limits a mirrored copy.
type TruncationBase uint8

const (
	// TruncateTargetMTU: AWS; an instance target's ENI MTU.
	TruncateTargetMTU TruncationBase = iota
	// TruncateSourceMTU: Alibaba; the source ENI's MTU.
	TruncateSourceMTU
)

// Profile is a provider's quotas, rules and prices.
type Profile struct {
	Name string
	// SessionsPerSource: sessions on one source ENI.
	SessionsPerSource int
	// SourcesPerSession: source ENIs per session.
	SourcesPerSession int
	// UniqueSessionNumbers: a session number (Alibaba: priority) is used
	// by one session of the account only (Alibaba), not once per source
	// ENI (AWS).
	UniqueSessionNumbers bool
	// RulesPerFilter: rules per filter (both directions together), 0: no
	// limit; RulesPerDirection: rules per direction, 0: no limit.
	RulesPerFilter    int
	RulesPerDirection int
	// SessionsPerENITarget, SessionsPerLBTarget: sessions sharing a target,
	// 0: unlimited.
	SessionsPerENITarget int
	SessionsPerLBTarget  int
	// MaxPacketLength and MaxPacketLengthLB bound a session's PacketLength.
	MaxPacketLength   int
	MaxPacketLengthLB int
	// Truncation: which MTU, and the bytes reserved for the outer headers
	// (for a copy carried over IPv4, and over IPv6).
	Truncation   TruncationBase
	ReserveIPv4  int
	ReserveIPv6  int
	GatewayLBMTU int
	IPv6         bool
	// Quotas of the VPC and the account (network ACL entries, security
	// group rules, groups per ENI, filters/targets/sessions per account).
	Quotas Quotas
	// Prices in USD.
	PricePerENIHour float64
	PricePerGB      float64
}

func awsProfile() Profile {
	return Profile{
		Name:                 "aws",
		SessionsPerSource:    3,
		SourcesPerSession:    1,
		RulesPerFilter:       10,
		SessionsPerENITarget: 10,
		SessionsPerLBTarget:  0,
		MaxPacketLength:      8947,
		MaxPacketLengthLB:    8500,
		Truncation:           TruncateTargetMTU,
		ReserveIPv4:          54,
		ReserveIPv6:          74,
		GatewayLBMTU:         8500,
		IPv6:                 true,
		Quotas:               awsQuotas(),
		PricePerENIHour:      0.015,
		PricePerGB:           0,
	}
}

func alibabaProfile() Profile {
	return Profile{
		Name:                 "alibaba",
		SessionsPerSource:    1,
		SourcesPerSession:    10,
		UniqueSessionNumbers: true,
		RulesPerDirection:    10,
		SessionsPerENITarget: 10,
		SessionsPerLBTarget:  200,
		MaxPacketLength:      8947,
		MaxPacketLengthLB:    8500,
		Truncation:           TruncateSourceMTU,
		ReserveIPv4:          50,
		ReserveIPv6:          50,
		GatewayLBMTU:         8500,
		IPv6:                 false,
		Quotas:               alibabaQuotas(),
		PricePerENIHour:      0.014,
		PricePerGB:           0.007,
	}
}

// LookupProfile returns the named profile ("" means "aws").
func LookupProfile(name string) (Profile, error) {
	if name == "" {
		name = "aws"
	}
	switch name {
	case "aws":
		return awsProfile(), nil
	case "alibaba":
		return alibabaProfile(), nil
	}
	return Profile{}, fmt.Errorf("unknown profile %q (want aws or alibaba)", name)
}
