package ec2api

import (
	"reflect"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// shapes are where EC2's answers depart from the rule of encode.go, per
// model type; a type not listed follows the rule in full.
var shapes = map[reflect.Type]shape{
	reflect.TypeFor[cloudmock.Vpc](): {notServed: map[string]string{
		"Ipv6CidrBlock":                    "in ipv6CidrBlockAssociationSet",
		"EnableDnsSupport":                 "by DescribeVpcAttribute",
		"EnableDnsHostnames":               "by DescribeVpcAttribute",
		"EnableNetworkAddressUsageMetrics": "by DescribeVpcAttribute",
	}},
	reflect.TypeFor[cloudmock.Subnet]():          {notServed: map[string]string{"Ipv6CidrBlock": "in ipv6CidrBlockAssociationSet"}},
	reflect.TypeFor[cloudmock.NetworkAcl]():      {names: map[string]string{"IsDefault": "default"}},
	reflect.TypeFor[cloudmock.NetworkAclEntry](): {omitEmpty: []string{"CidrBlock", "Ipv6CidrBlock"}},
	reflect.TypeFor[cloudmock.SecurityGroup](): {names: map[string]string{
		"Description": "groupDescription", "IpPermissions": "ipPermissions", "IpPermissionsEgress": "ipPermissionsEgress",
	}},
	reflect.TypeFor[cloudmock.IpPermission](): {names: map[string]string{
		"IpRanges": "ipRanges", "Ipv6Ranges": "ipv6Ranges", "UserIdGroupPairs": "groups",
	}},
	reflect.TypeFor[cloudmock.IpRange]():               {omitEmpty: []string{"Description"}},
	reflect.TypeFor[cloudmock.Ipv6Range]():             {omitEmpty: []string{"Description"}},
	reflect.TypeFor[cloudmock.UserIdGroupPair]():       {omitEmpty: []string{"Description"}},
	reflect.TypeFor[cloudmock.RouteTable]():            {notServed: map[string]string{"Main": "as the main association in associationSet"}},
	reflect.TypeFor[cloudmock.RouteTableAssociation](): {omitEmpty: []string{"SubnetId"}},
	reflect.TypeFor[cloudmock.Route](): {
		omitEmpty: []string{"DestinationCidrBlock", "DestinationIpv6CidrBlock", "VpcPeeringConnectionId", "TransitGatewayId"},
	},
	reflect.TypeFor[cloudmock.TransitGatewayVpcAttachment](): {names: map[string]string{"SubnetIds": "subnetIds"}},
	reflect.TypeFor[cloudmock.NetworkInterface](): {notServed: map[string]string{
		"Ipv6Address":       "in ipv6AddressesSet",
		"EnablePrimaryIpv6": "as ipv6AddressesSet's isPrimaryIpv6",
		"Mtu":               "EC2 shows no MTU on an interface",
		"InstanceId":        "in attachment",
		"InstanceType":      "by DescribeInstances (the instance's)",
	}},
	reflect.TypeFor[cloudmock.VpcEndpointService](): {notServed: map[string]string{
		"AllowedPrincipals": "by DescribeVpcEndpointServicePermissions",
		"PendingEndpoints":  "by DescribeVpcEndpoints (state pendingAcceptance or rejected)",
	}},
	reflect.TypeFor[cloudmock.PendingVpcEndpoint](): {
		names:     map[string]string{"SubnetId": "subnetIdSet"},
		notServed: map[string]string{"Rejected": "as state rejected"},
	},
	// ELBv2's (the query protocol: elements named as the fields)
	reflect.TypeFor[cloudmock.LoadBalancer](): {notServed: map[string]string{
		"SubnetId":               "in AvailabilityZones",
		"PrivateIpAddress":       "in AvailabilityZones",
		"Ipv6Address":            "in AvailabilityZones (and as IpAddressType dualstack)",
		"AdditionalSubnets":      "in AvailabilityZones",
		"VpcEndpointId":          "by DescribeVpcEndpoints (an endpoint's)",
		"GatewayLoadBalancerArn": "by DescribeVpcEndpoints (an endpoint's service)",
		"Listeners":              "by DescribeListeners",
		"Targets":                "by DescribeTargetHealth",
	}},
	reflect.TypeFor[cloudmock.TargetGroup](): {
		inline:    []string{"HealthCheck"},
		notServed: map[string]string{"Targets": "by DescribeTargetHealth"},
	},
	reflect.TypeFor[cloudmock.Listener](): {
		omitEmpty: []string{"Protocol", "Port"},
		notServed: map[string]string{"TargetGroupArn": "in DefaultActions (forward)"},
	},
	reflect.TypeFor[cloudmock.HealthCheck](): {
		names: map[string]string{
			"Enabled": "HealthCheckEnabled", "Protocol": "HealthCheckProtocol", "Port": "HealthCheckPort", "Path": "HealthCheckPath",
			"IntervalSeconds": "HealthCheckIntervalSeconds", "TimeoutSeconds": "HealthCheckTimeoutSeconds",
			"HealthyThreshold": "HealthyThresholdCount", "UnhealthyThreshold": "UnhealthyThresholdCount",
		},
		omitEmpty: []string{"Path", "IntervalSeconds", "TimeoutSeconds", "HealthyThreshold", "UnhealthyThreshold", "Matcher"},
	},
	reflect.TypeFor[cloudmock.Instance](): {
		names:     map[string]string{"State": "instanceState"},
		omitEmpty: []string{"ImageId", "KeyName"},
		notServed: map[string]string{
			"UserData":                          "by DescribeInstanceAttribute",
			"DisableApiTermination":             "by DescribeInstanceAttribute",
			"DisableApiStop":                    "by DescribeInstanceAttribute",
			"InstanceInitiatedShutdownBehavior": "by DescribeInstanceAttribute",
			"CpuCredits":                        "by DescribeInstanceCreditSpecifications",
		},
	},
	reflect.TypeFor[cloudmock.TrafficMirrorFilter](): {
		omitEmpty: []string{"Description"}, first: []string{"TrafficMirrorFilterId", "Description"},
	},
	reflect.TypeFor[cloudmock.TrafficMirrorFilterRule](): {omitEmpty: []string{"Protocol", "Description"}},
	reflect.TypeFor[cloudmock.TrafficMirrorTarget](): {
		omitEmpty: []string{"NetworkInterfaceId", "NetworkLoadBalancerArn", "GatewayLoadBalancerEndpointId", "Description"},
	},
	reflect.TypeFor[cloudmock.TrafficMirrorSession](): {
		omitEmpty: []string{"Description"},
		notServed: map[string]string{"TrafficMirrorSourceIds": "Alibaba's further sources: an EC2 session has one"},
	},
}
