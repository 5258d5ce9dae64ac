package cloudmock

// The Elastic Load Balancing and VPC endpoint resources the API creates
// around the model's LoadBalancer: target groups, and the endpoint
// services that offer a Gateway Load Balancer to endpoints. A load
// balancer's Listeners and Targets (what the model decides copies from)
// are derived from them by SyncLoadBalancers.

// TargetGroup is an ELBv2 target group: where a listener forwards. Its
// registered targets are interfaces (an instance target is its primary
// interface).
type TargetGroup struct {
	TargetGroupArn string `json:"TargetGroupArn" yaml:"TargetGroupArn"`
	// Protocol is TCP, UDP, TCP_UDP or TLS (a network load balancer's) or
	// GENEVE (a gateway load balancer's, on Port 6081).
	Protocol string `json:"Protocol" yaml:"Protocol"`
	Port     int    `json:"Port" yaml:"Port"`
	VpcId    string `json:"VpcId" yaml:"VpcId"`
	// TargetType is "instance" (the default) or "ip".
	TargetType string `json:"TargetType,omitempty" yaml:"TargetType,omitempty"`
	// HealthCheck is how the targets are checked (nil: the defaults of
	// the protocol).
	HealthCheck *HealthCheck        `json:"HealthCheck,omitempty" yaml:"HealthCheck,omitempty"`
	Targets     []TargetDescription `json:"Targets,omitempty" yaml:"Targets,omitempty"`
}

// HealthCheck is a target group's health check settings (ELBv2 names).
type HealthCheck struct {
	Enabled            bool   `json:"HealthCheckEnabled" yaml:"HealthCheckEnabled"`
	Protocol           string `json:"HealthCheckProtocol,omitempty" yaml:"HealthCheckProtocol,omitempty"`
	Port               string `json:"HealthCheckPort,omitempty" yaml:"HealthCheckPort,omitempty"`
	Path               string `json:"HealthCheckPath,omitempty" yaml:"HealthCheckPath,omitempty"`
	IntervalSeconds    int    `json:"HealthCheckIntervalSeconds,omitempty" yaml:"HealthCheckIntervalSeconds,omitempty"`
	TimeoutSeconds     int    `json:"HealthCheckTimeoutSeconds,omitempty" yaml:"HealthCheckTimeoutSeconds,omitempty"`
	HealthyThreshold   int    `json:"HealthyThresholdCount,omitempty" yaml:"HealthyThresholdCount,omitempty"`
	UnhealthyThreshold int    `json:"UnhealthyThresholdCount,omitempty" yaml:"UnhealthyThresholdCount,omitempty"`
	Matcher            string `json:"Matcher,omitempty" yaml:"Matcher,omitempty"`
}

// LoadBalancerSubnet is one more zone of a load balancer: its subnet and
// its address there (the load balancer's first zone is its SubnetId and
// PrivateIpAddress, where the model sends copies).
type LoadBalancerSubnet struct {
	SubnetId         string `json:"SubnetId" yaml:"SubnetId"`
	PrivateIpAddress string `json:"PrivateIpAddress" yaml:"PrivateIpAddress"`
	// Ipv6Address is the zone's IPv6 address of a dual-stack load
	// balancer (one of the subnet's Ipv6CidrBlock).
	Ipv6Address string `json:"Ipv6Address,omitempty" yaml:"Ipv6Address,omitempty"`
}

// VpcEndpointService offers Gateway Load Balancers to Gateway Load
// Balancer endpoints (each endpoint is a LoadBalancer of Type gateway with
// its VpcEndpointId and the GatewayLoadBalancerArn it sends to).
type VpcEndpointService struct {
	ServiceId               string   `json:"ServiceId" yaml:"ServiceId"`
	GatewayLoadBalancerArns []string `json:"GatewayLoadBalancerArns" yaml:"GatewayLoadBalancerArns"`
	// AcceptanceRequired: an endpoint waits in pendingAcceptance.
	AcceptanceRequired bool `json:"AcceptanceRequired,omitempty" yaml:"AcceptanceRequired,omitempty"`
	// AllowedPrincipals are the ARNs allowed to connect endpoints.
	AllowedPrincipals []string `json:"AllowedPrincipals,omitempty" yaml:"AllowedPrincipals,omitempty"`
	// PendingEndpoints are endpoints waiting for acceptance (or
	// rejected): they carry nothing; an accepted one becomes a
	// LoadBalancer.
	PendingEndpoints []PendingVpcEndpoint `json:"PendingEndpoints,omitempty" yaml:"PendingEndpoints,omitempty"`
}

// PendingVpcEndpoint is an endpoint of a service that requires acceptance,
// not accepted yet.
type PendingVpcEndpoint struct {
	VpcEndpointId string `json:"VpcEndpointId" yaml:"VpcEndpointId"`
	SubnetId      string `json:"SubnetId" yaml:"SubnetId"`
	// Rejected: the service's owner rejected it.
	Rejected bool `json:"Rejected,omitempty" yaml:"Rejected,omitempty"`
}
