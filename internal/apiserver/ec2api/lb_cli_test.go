package ec2api

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI runs `aws SERVICE ARGS... --output json` (botocore: a parser of
// its own, stricter about some shapes than the Go SDK) against url and
// decodes its answer.
func awsCLI(t *testing.T, url string, args ...string) map[string]any {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("no aws CLI on the PATH (make deps installs Debian's awscli)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)...)
	env := []string{"HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	var out map[string]any
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("aws %s: not JSON: %v\n%s", args[0], err, stdout.String())
		}
	}
	return out
}

// dig takes a value out of decoded JSON: strings are keys, ints indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// The aws CLI builds and tears down a network load balancer with its
// group and listener, and a gateway load balancer behind an endpoint.
func TestLoadBalancingWithTheAWSCLI(t *testing.T) {
	s, url := startServer(t, twoZones())
	lb := awsCLI(t, url, "elbv2", "create-load-balancer", "--name", "collectors", "--type", "network", "--scheme", "internal",
		"--subnets", subPublic, subTest)
	lbArn, _ := dig(lb, "LoadBalancers", 0, "LoadBalancerArn").(string)
	if dig(lb, "LoadBalancers", 0, "AvailabilityZones", 1, "LoadBalancerAddresses", 0, "PrivateIPv4Address") != "10.0.0.37" {
		t.Fatalf("create-load-balancer: %v", lb)
	}
	tg := awsCLI(t, url, "elbv2", "create-target-group", "--name", "agents", "--protocol", "UDP", "--port", "4789", "--vpc-id", vpcID, "--target-type", "ip")
	tgArn, _ := dig(tg, "TargetGroups", 0, "TargetGroupArn").(string)
	awsCLI(t, url, "elbv2", "register-targets", "--target-group-arn", tgArn, "--targets", "Id=10.0.0.20")
	awsCLI(t, url, "elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "UDP", "--port", "4789",
		"--default-actions", "Type=forward,TargetGroupArn="+tgArn)
	if h := awsCLI(t, url, "elbv2", "describe-target-health", "--target-group-arn", tgArn); dig(h, "TargetHealthDescriptions", 0, "TargetHealth", "State") != "healthy" {
		t.Fatalf("describe-target-health: %v", h)
	}
	if got := lbOf(t, s, lbArn).Targets; len(got) != 1 || got[0].NetworkInterfaceId != eniAdapter {
		t.Fatalf("the model's targets: %+v", got)
	}
	desc := "ELB net/collectors/" + lbArn[len(lbArn)-16:]
	filters := []string{"ec2", "describe-network-interfaces", "--filters", "Name=attachment.instance-owner-id,Values=amazon-aws", "Name=description,Values=" + desc}
	if n := len(dig(awsCLI(t, url, filters...), "NetworkInterfaces").([]any)); n != 2 {
		t.Fatalf("%d interfaces of the balancer, want 2", n)
	}
	gw := awsCLI(t, url, "elbv2", "create-load-balancer", "--name", "inspection", "--type", "gateway", "--subnet-mappings", "SubnetId="+subTest)
	gwArn, _ := dig(gw, "LoadBalancers", 0, "LoadBalancerArn").(string)
	svc := awsCLI(t, url, "ec2", "create-vpc-endpoint-service-configuration", "--gateway-load-balancer-arns", gwArn, "--no-acceptance-required")
	svcName, _ := dig(svc, "ServiceConfiguration", "ServiceName").(string)
	ep := awsCLI(t, url, "ec2", "create-vpc-endpoint", "--vpc-endpoint-type", "GatewayLoadBalancer", "--vpc-id", vpcID, "--service-name", svcName, "--subnet-ids", subTest)
	epID, _ := dig(ep, "VpcEndpoint", "VpcEndpointId").(string)
	if dig(ep, "VpcEndpoint", "State") != "available" {
		t.Fatalf("create-vpc-endpoint: %v", ep)
	}
	awsCLI(t, url, "ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids", epID)
	awsCLI(t, url, "ec2", "delete-vpc-endpoint-service-configurations", "--service-ids", dig(svc, "ServiceConfiguration", "ServiceId").(string))
	awsCLI(t, url, "elbv2", "delete-load-balancer", "--load-balancer-arn", gwArn)
	awsCLI(t, url, "elbv2", "delete-load-balancer", "--load-balancer-arn", lbArn)
	if n := len(dig(awsCLI(t, url, filters...), "NetworkInterfaces").([]any)); n != 0 {
		t.Fatalf("%d interfaces of the deleted balancer stay", n)
	}
}
