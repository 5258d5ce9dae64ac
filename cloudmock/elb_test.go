package cloudmock

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mirrorlab/mirrorlab/internal/encap"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// createdGWLBSpec is gwlbSpec as the API builds it: the gateway load
// balancer on its own, a GENEVE target group with the two appliances, an
// endpoint service offering it and an endpoint that sends to it.
func createdGWLBSpec() Spec {
	s := gwlbSpec()
	const gw, tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/gw/0123456789abcdef", "arn:tg"
	file := s.LoadBalancers[0]
	s.LoadBalancers = []LoadBalancer{
		{LoadBalancerArn: gw, Type: "gateway", SubnetId: "subnet-gwlb", PrivateIpAddress: "10.0.0.51",
			Listeners: []Listener{{Protocol: "UDP", Port: encap.GenevePort, TargetGroupArn: tg}}},
		{LoadBalancerArn: "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/" + file.VpcEndpointId, Type: "gateway",
			SubnetId: "subnet-gwlb", PrivateIpAddress: "10.0.0.50", VpcEndpointId: file.VpcEndpointId, GatewayLoadBalancerArn: gw},
	}
	s.TargetGroups = []TargetGroup{{TargetGroupArn: tg, Protocol: "GENEVE", Port: encap.GenevePort, VpcId: "vpc-1", TargetType: "ip", Targets: file.Targets}}
	s.VpcEndpointServices = []VpcEndpointService{{ServiceId: "vpce-svc-1", GatewayLoadBalancerArns: []string{gw}}}
	s.SyncLoadBalancers()
	return s
}

// An endpoint created through the API decides copies exactly as a file's
// endpoint: GENEVE from the endpoint to the target group's appliances.
func TestCreatedGWLBEndpointDelivers(t *testing.T) {
	s := createdGWLBSpec()
	if got := len(s.LoadBalancers[1].Targets); got != 2 {
		t.Fatalf("endpoint's derived targets: %d, want the target group's 2", got)
	}
	m := mustNew(t, s)
	seen := map[string]bool{}
	for i := range 50 {
		_, dl, _ := gwlbDeliver(t, m, tcp("203.0.113.9", "10.0.0.5", uint16(20000+i), 80), Ingress)
		if !dl.Delivered || !dl.Geneve || dl.Port != encap.GenevePort {
			t.Fatalf("flow %d: %s", i, dl)
		}
		seen[dl.ToId] = true
	}
	if !seen["eni-appliance1"] || !seen["eni-appliance2"] {
		t.Errorf("flows reached %v, want both appliances", seen)
	}
	// an appliance's interface gone (its instance terminated) is deregistered
	s.NetworkInterfaces = slices.DeleteFunc(s.NetworkInterfaces, func(e NetworkInterface) bool { return e.NetworkInterfaceId == "eni-appliance1" })
	s.SyncLoadBalancers()
	if len(s.TargetGroups[0].Targets) != 1 || len(s.LoadBalancers[1].Targets) != 1 || s.LoadBalancers[1].Targets[0].NetworkInterfaceId != "eni-appliance2" {
		t.Fatalf("after eni-appliance1 went: group %+v, endpoint %+v", s.TargetGroups[0].Targets, s.LoadBalancers[1].Targets)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("the synced spec is refused: %v", err)
	}
	// deregistering every target leaves the endpoint without appliances
	s.TargetGroups[0].Targets = nil
	s.SyncLoadBalancers()
	if len(s.LoadBalancers[0].Targets)+len(s.LoadBalancers[1].Targets) != 0 {
		t.Errorf("targets stay after deregistration: %+v", s.LoadBalancers)
	}
}

func TestValidateELB(t *testing.T) {
	cases := []struct {
		name, field, code string
		change            func(*Spec)
	}{
		{"listener to a missing group", "Listeners[0].TargetGroupArn", codes.TargetGroupNotFound, func(s *Spec) { s.LoadBalancers[0].Listeners[0].TargetGroupArn = "arn:nope" }},
		{"GENEVE off 6081", "Port", codes.InvalidParameterValue, func(s *Spec) { s.TargetGroups[0].Port = 6082 }},
		{"bad protocol", "Protocol", codes.InvalidParameterValue, func(s *Spec) { s.TargetGroups[0].Protocol = "HTTP" }},
		{"bad target type", "TargetType", codes.InvalidParameterValue, func(s *Spec) { s.TargetGroups[0].TargetType = "lambda" }},
		{"group in no VPC", "VpcId", codes.VpcNotFound, func(s *Spec) { s.TargetGroups[0].VpcId = "vpc-nope" }},
		{"target missing", "Targets[0].NetworkInterfaceId", codes.NetworkInterfaceNotFound, func(s *Spec) { s.TargetGroups[0].Targets[0].NetworkInterfaceId = "eni-nope" }},
		{"endpoint of no service", "GatewayLoadBalancerArn", codes.VpcEndpointServiceNotFound, func(s *Spec) { s.VpcEndpointServices = nil }},
		{"endpoint of a missing balancer", "GatewayLoadBalancerArn", codes.LoadBalancerNotFound, func(s *Spec) { s.LoadBalancers[1].GatewayLoadBalancerArn = "arn:nope" }},
		{"service of a missing balancer", "GatewayLoadBalancerArns[0]", codes.LoadBalancerNotFound, func(s *Spec) { s.VpcEndpointServices[0].GatewayLoadBalancerArns[0] = "arn:nope" }},
		{"balancer offered twice", "GatewayLoadBalancerArns[0]", codes.InvalidParameterValue, func(s *Spec) {
			s.VpcEndpointServices = append(s.VpcEndpointServices, VpcEndpointService{ServiceId: "vpce-svc-2", GatewayLoadBalancerArns: s.VpcEndpointServices[0].GatewayLoadBalancerArns})
		}},
		{"zone twice", "AdditionalSubnets[0].SubnetId", codes.InvalidParameterValue, func(s *Spec) {
			s.LoadBalancers[0].AdditionalSubnets = []LoadBalancerSubnet{{SubnetId: "subnet-gwlb", PrivateIpAddress: "10.0.0.52"}}
		}},
		{"two balancers on one address", "PrivateIpAddress", codes.IPAddressInUse, func(s *Spec) { s.LoadBalancers[0].PrivateIpAddress = "10.0.0.50" }},
		{"zone address outside", "AdditionalSubnets[0].PrivateIpAddress", codes.InvalidParameterValue, func(s *Spec) {
			s.LoadBalancers[0].AdditionalSubnets = []LoadBalancerSubnet{{SubnetId: "subnet-test", PrivateIpAddress: "10.0.0.52"}}
		}},
	}
	if base := createdGWLBSpec(); base.Validate() != nil {
		t.Fatalf("the created GWLB spec is refused: %v", base.Validate())
	}
	for _, c := range cases {
		s := createdGWLBSpec()
		c.change(&s)
		err := s.Validate()
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), c.field+": "+c.code) {
			t.Errorf("%s: got %v, want %s %s", c.name, err, c.field, c.code)
		}
	}
}

func TestELBQuotas(t *testing.T) {
	s := createdGWLBSpec()
	s.Subnets = append(s.Subnets, Subnet{SubnetId: "subnet-big", VpcId: "vpc-1", CidrBlock: "10.0.0.128/25"})
	for i := range NetworkLoadBalancersPerRegion + 1 {
		s.LoadBalancers = append(s.LoadBalancers, LoadBalancer{LoadBalancerArn: fmt.Sprintf("arn:nlb-%d", i), Type: "network",
			SubnetId: "subnet-big", PrivateIpAddress: fmt.Sprintf("10.0.0.%d", 132+i)})
	}
	err := s.Validate()
	if !strings.Contains(fmt.Sprint(err), "LoadBalancer arn:nlb-50: Type: "+codes.TooManyLoadBalancers) || strings.Count(fmt.Sprint(err), codes.TooManyLoadBalancers) != 1 {
		t.Fatalf("51 network load balancers: %v", err)
	}
	s.LoadBalancers = s.LoadBalancers[:len(s.LoadBalancers)-1]
	if err := s.Validate(); err != nil {
		t.Fatalf("50 network load balancers (and a gateway one with its endpoint) are refused: %v", err)
	}
}
