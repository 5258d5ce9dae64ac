package ec2api

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// A dry run answers what the real request would: the model's error when
// the change is invalid, DryRunOperation only when it would succeed, and
// it changes nothing (no commit, no Apply).
func TestDryRunValidatesLikeTheRequest(t *testing.T) {
	applied := 0
	s, c := testServer(t, Config{Apply: func(cloudmock.Spec) error { applied++; return nil }})
	fid, tid := mirrorSetup(t, c)
	newSession(t, c, sessionIn(eniWeb, fid, tid, 1))
	for _, tc := range []struct {
		name string
		mod  func(*ec2.CreateTrafficMirrorSessionInput)
		code string
	}{
		{"vni 2^24", func(in *ec2.CreateTrafficMirrorSessionInput) { in.VirtualNetworkId = aws.Int32(1 << 24) }, "InvalidParameterValue"},
		{"session number 0", func(in *ec2.CreateTrafficMirrorSessionInput) { in.SessionNumber = aws.Int32(0) }, "InvalidParameterValue"},
		{"session number used on the source", func(in *ec2.CreateTrafficMirrorSessionInput) { in.SessionNumber = aws.Int32(1) }, "InvalidParameterValue"},
		{"unknown target", func(in *ec2.CreateTrafficMirrorSessionInput) {
			in.TrafficMirrorTargetId = aws.String("tmt-0000000000000dead")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := sessionIn(eniWeb, fid, tid, 2)
			tc.mod(in)
			_, realErr := c.CreateTrafficMirrorSession(ctx, in)
			var ae smithy.APIError
			if !asAPI(realErr, &ae) || (tc.code != "" && ae.ErrorCode() != tc.code) {
				t.Fatalf("the real request answered %v, want %s", realErr, tc.code)
			}
			in.DryRun = aws.Bool(true)
			_, err := c.CreateTrafficMirrorSession(ctx, in)
			wantCode(t, err, ae.ErrorCode())
		})
	}
	before := applied
	in := sessionIn(eniWeb, fid, tid, 2)
	in.DryRun = aws.Bool(true)
	_, err := c.CreateTrafficMirrorSession(ctx, in)
	wantCode(t, err, "DryRunOperation")
	if applied != before {
		t.Fatalf("a dry run applied %d states", applied-before)
	}
	if n := len(s.Spec().TrafficMirrorSessions); n != 1 {
		t.Fatalf("a dry run left %d sessions, want 1", n)
	}
}
