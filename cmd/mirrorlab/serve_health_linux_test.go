package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/mirrorlab/mirrorlab/internal/privtest"
)

// TestPrivilegedServeTargetHealth: on a served lab, DescribeTargetHealth
// answers what the data plane's health checks find: agent2 runs no agent,
// so its health port never answers and it turns unhealthy, while agent1
// stays healthy. (Without the lab's health, every registered target reads
// healthy, as the model starts them.)
func TestPrivilegedServeTargetHealth(t *testing.T) {
	privtest.Require(t)
	endpoint, out := startServe(t, "testdata/serve-nlb-health.yaml", serveOpts{stateDir: t.TempDir()})
	c := elb.New(elb.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tgs, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil || len(tgs.TargetGroups) != 1 {
		t.Fatalf("target groups: %v %+v\n%s", err, tgs, out.String())
	}
	tg := tgs.TargetGroups[0].TargetGroupArn
	var states map[string]elbtypes.TargetHealthStateEnum
	for ctx.Err() == nil {
		h, err := c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg})
		if err != nil {
			t.Fatalf("DescribeTargetHealth: %v", err)
		}
		states = map[string]elbtypes.TargetHealthStateEnum{}
		for _, d := range h.TargetHealthDescriptions {
			states[aws.ToString(d.Target.Id)] = d.TargetHealth.State
		}
		if states["10.0.0.21"] == elbtypes.TargetHealthStateEnumUnhealthy {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if states["10.0.0.21"] != elbtypes.TargetHealthStateEnumUnhealthy || states["10.0.0.20"] != elbtypes.TargetHealthStateEnumHealthy {
		t.Fatalf("target health %v, want 10.0.0.20 healthy and 10.0.0.21 (no agent) unhealthy\n%s", states, out.String())
	}
}
