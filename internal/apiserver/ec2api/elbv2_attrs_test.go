package ec2api

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func attrMap(as []elbtypes.LoadBalancerAttribute) map[string]string {
	m := map[string]string{}
	for _, a := range as {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

func tgAttrMap(as []elbtypes.TargetGroupAttribute) map[string]string {
	m := map[string]string{}
	for _, a := range as {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	return m
}

func TestLoadBalancerAttributes(t *testing.T) {
	_, c := elbServer(t, Config{})
	nlb := attrMap(must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(nlbArn)}))(t).Attributes)
	if nlb["deletion_protection.enabled"] != "false" || nlb["load_balancing.cross_zone.enabled"] != "false" ||
		nlb["dns_record.client_routing_policy"] != "any_availability_zone" || nlb["access_logs.s3.enabled"] != "false" || len(nlb) != len(nlbAttrs) {
		t.Fatalf("NLB defaults: %v", nlb)
	}
	gw := attrMap(must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(gwlbArn)}))(t).Attributes)
	if len(gw) != len(gwlbAttrs) || gw["load_balancing.cross_zone.enabled"] != "false" || gw["access_logs.s3.enabled"] != "false" {
		t.Fatalf("GWLB defaults: %v", gw)
	}
	mod := must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(nlbArn),
		Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String("load_balancing.cross_zone.enabled"), Value: aws.String("true")},
			{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}}}))(t)
	if m := attrMap(mod.Attributes); m["load_balancing.cross_zone.enabled"] != "true" || m["deletion_protection.enabled"] != "true" {
		t.Fatalf("modified: %v", m)
	}
	after := attrMap(must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(nlbArn)}))(t).Attributes)
	if after["load_balancing.cross_zone.enabled"] != "true" || after["zonal_shift.config.enabled"] != "false" {
		t.Fatalf("kept: %v", after)
	}
	if gw := attrMap(must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(gwlbArn)}))(t).Attributes); gw["load_balancing.cross_zone.enabled"] != "false" {
		t.Fatalf("the NLB's change reached the GWLB: %v", gw)
	}
	for _, tc := range []struct{ key, value, code string }{
		{"idle_timeout.timeout_seconds", "60", codeInvalidConfig}, // an ALB attribute
		{"deletion_protection.enabled", "maybe", codeInvalidConfig},
		{"secondary_ips.auto_assigned.per_subnet", "8", codeInvalidConfig},
	} {
		_, err := c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(nlbArn),
			Attributes: []elbtypes.LoadBalancerAttribute{{Key: aws.String(tc.key), Value: aws.String(tc.value)}}})
		wantCode(t, err, tc.code)
		if !strings.Contains(err.Error(), tc.key) {
			t.Fatalf("%s=%s: %v does not name the key", tc.key, tc.value, err)
		}
	}
	if again := attrMap(must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(nlbArn)}))(t).Attributes); again["deletion_protection.enabled"] != "true" {
		t.Fatalf("a refused change changed the state: %v", again)
	}
	_, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(nlbArn + "0")})
	wantCode(t, err, codeLBNotFound)
}

func TestTargetGroupAttributes(t *testing.T) {
	_, c := elbServer(t, Config{})
	tg, gtg := tgOf(t, c, nlbArn), tgOf(t, c, gwlbArn)
	m := tgAttrMap(must(c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)}))(t).Attributes)
	if m["deregistration_delay.timeout_seconds"] != "300" || m["preserve_client_ip.enabled"] != "true" || m["stickiness.type"] != "source_ip" ||
		m["load_balancing.cross_zone.enabled"] != "use_load_balancer_configuration" {
		t.Fatalf("NLB target group defaults: %v", m)
	}
	g := tgAttrMap(must(c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(gtg)}))(t).Attributes)
	if g["target_failover.on_unhealthy"] != "no_rebalance" || g["stickiness.type"] != "source_ip_dest_ip_proto" {
		t.Fatalf("GWLB target group defaults: %v", g)
	}
	mod := must(c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}}}))(t)
	if tgAttrMap(mod.Attributes)["deregistration_delay.timeout_seconds"] != "30" {
		t.Fatalf("modified: %v", tgAttrMap(mod.Attributes))
	}
	_, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(gtg),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("target_failover.on_unhealthy"), Value: aws.String("sometimes")}}})
	wantCode(t, err, codeInvalidConfig)
	_, err = c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(tg),
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("3601")}}})
	wantCode(t, err, codeInvalidConfig)
	_, err = c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(nlbArn)})
	wantCode(t, err, codeTGNotFound)
	s, _ := elbServer(t, Config{})
	wantRawELB(t, s, "Action=ModifyTargetGroupAttributes&Version=2015-12-01&TargetGroupArn="+tg, 400, codeELBValidation)
}

func TestGetCallerIdentity(t *testing.T) {
	s, _ := startServer(t, Config{AccountID: "210987654321"})
	st, body := rawBody(t, s, "Action=GetCallerIdentity&Version=2011-06-15")
	if st != 200 || !strings.Contains(body, "<GetCallerIdentityResult><UserId>210987654321</UserId><Account>210987654321</Account><Arn>arn:aws:iam::210987654321:root</Arn></GetCallerIdentityResult>") ||
		!strings.Contains(body, `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`) {
		t.Fatalf("GetCallerIdentity: %d %s", st, body)
	}
	wantRawELB(t, s, "Action=GetCallerIdentity&Version=2011-06-15&Colour=red", 400, codeUnknownParameter)
	wantRawELB(t, s, "Action=AssumeRole&Version=2011-06-15", 400, codeInvalidAction)
}
