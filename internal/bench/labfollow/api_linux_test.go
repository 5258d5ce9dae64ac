package labfollow

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/internal/privtest"
	"github.com/mirrorlab/mirrorlab/internal/sdkhttp"
	"github.com/mirrorlab/mirrorlab/lab"
)

// apiFleet is a fleet served by the EC2 API: every accepted change is
// applied to the running lab (lab.FollowSpec), as serve --empty does.
type apiFleet struct {
	*Fleet
	c              *ec2.Client
	image, subnet  string
	filter, target string
}

func serveFleet(tb testing.TB, n int) *apiFleet {
	tb.Helper()
	privtest.Require(tb)
	ctx := context.Background()
	f, err := Build(ctx, n, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := f.Close(); err != nil {
			tb.Error(err)
		}
	})
	srv, err := ec2api.New(ec2api.Config{Spec: f.base, Seed: 1,
		Apply: func(s cloudmock.Spec) error { return f.lab.Apply(ctx, lab.FollowSpec{Spec: s}) }})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	a := &apiFleet{Fleet: f, subnet: "subnet-a", c: ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), RetryMaxAttempts: 1, HTTPClient: sdkhttp.Client{}})}
	imgs, err := a.c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"al2023-ami-2023*-x86_64"}}}})
	if err != nil || len(imgs.Images) == 0 {
		tb.Fatalf("an image to launch: %v", err)
	}
	a.image = aws.ToString(imgs.Images[0].ImageId)
	flt, err := a.c.CreateTrafficMirrorFilter(ctx, &ec2.CreateTrafficMirrorFilterInput{})
	if err != nil {
		tb.Fatal(err)
	}
	a.filter = aws.ToString(flt.TrafficMirrorFilter.TrafficMirrorFilterId)
	if _, err := a.c.CreateTrafficMirrorFilterRule(ctx, &ec2.CreateTrafficMirrorFilterRuleInput{TrafficMirrorFilterId: aws.String(a.filter),
		TrafficDirection: types.TrafficDirectionIngress, RuleNumber: aws.Int32(100), RuleAction: types.TrafficMirrorRuleActionAccept,
		Protocol: aws.Int32(17), SourceCidrBlock: aws.String("0.0.0.0/0"), DestinationCidrBlock: aws.String("0.0.0.0/0")}); err != nil {
		tb.Fatal(err)
	}
	tgt, err := a.c.CreateTrafficMirrorTarget(ctx, &ec2.CreateTrafficMirrorTargetInput{NetworkInterfaceId: aws.String("eni-i-tgt")})
	if err != nil {
		tb.Fatal(err)
	}
	a.target = aws.ToString(tgt.TrafficMirrorTarget.TrafficMirrorTargetId)
	return a
}

// launch runs one instance and mirrors it (two API calls, as a client
// does), then sends it datagrams until the target receives a copy: the
// time from the RunInstances request to that copy.
func (a *apiFleet) launch(ctx context.Context, vni int) (time.Duration, string, string, error) {
	start := time.Now()
	out, err := a.c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(a.image), InstanceType: types.InstanceTypeM5Large,
		SubnetId: aws.String(a.subnet), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		return 0, "", "", fmt.Errorf("run: %w", err)
	}
	in := out.Instances[0]
	eni := aws.ToString(in.NetworkInterfaces[0].NetworkInterfaceId)
	ses, err := a.c.CreateTrafficMirrorSession(ctx, &ec2.CreateTrafficMirrorSessionInput{NetworkInterfaceId: aws.String(eni),
		TrafficMirrorTargetId: aws.String(a.target), TrafficMirrorFilterId: aws.String(a.filter), SessionNumber: aws.Int32(1),
		VirtualNetworkId: aws.Int32(int32(vni))})
	if err != nil {
		return 0, "", "", fmt.Errorf("session: %w", err)
	}
	addr := netip.MustParseAddr(aws.ToString(in.PrivateIpAddress))
	if err := a.firstCopy(netip.AddrPortFrom(addr, 9000), uint32(vni), 5*time.Second); err != nil {
		return 0, "", "", err
	}
	return time.Since(start), aws.ToString(in.InstanceId), aws.ToString(ses.TrafficMirrorSession.TrafficMirrorSessionId), nil
}

func (a *apiFleet) terminate(ctx context.Context, id, session string) error {
	if _, err := a.c.DeleteTrafficMirrorSession(ctx, &ec2.DeleteTrafficMirrorSessionInput{TrafficMirrorSessionId: aws.String(session)}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	if _, err := a.c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		return fmt.Errorf("terminate: %w", err)
	}
	return nil
}

// TestPrivilegedAPILaunchMirrors: an instance launched through the API on
// a served fleet is mirrored by a session created through the API, and
// its namespace is gone once it is terminated.
func TestPrivilegedAPILaunchMirrors(t *testing.T) {
	a := serveFleet(t, 5)
	for i := range 2 {
		d, id, ses, err := a.launch(t.Context(), 200+i)
		if err != nil {
			t.Fatalf("launch %d: %v", i, err)
		}
		if a.lab.Sim().Instance(id) == nil || d <= 0 {
			t.Fatalf("launch %d: %s not in the lab (%v)", i, id, d)
		}
		if err := a.terminate(t.Context(), id, ses); err != nil {
			t.Fatal(err)
		}
		if a.lab.Sim().Instance(id) != nil {
			t.Fatalf("%s is still in the lab after TerminateInstances", id)
		}
	}
}

// BenchmarkAPILaunchToFirstCopy is issue 21's speed figure: on a served
// lab of 100 instances, from the RunInstances request (then
// CreateTrafficMirrorSession) to the new instance's first copy at the
// target; reported as the median of the iterations (ms/launch).
func BenchmarkAPILaunchToFirstCopy(b *testing.B) {
	a := serveFleet(b, 100)
	var ds []time.Duration
	for i := 0; b.Loop(); i++ {
		d, id, ses, err := a.launch(b.Context(), 300+i%1000)
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
		b.StopTimer()
		if err := a.terminate(b.Context(), id, ses); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(Median(ds).Microseconds())/1000, "median-ms/launch")
}
