package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// serve refuses what a web page or another local user could send: a
// foreign Host (DNS rebinding), a browser's Origin, a change sent with
// GET, and, with --random-access-key-id, a request signed with another
// key id; the SDK signed with the printed key id is served.
func TestServeGuard(t *testing.T) {
	ep, out := startServe(t, "", serveOpts{noLab: true, randomKey: true})
	m := regexp.MustCompile(`AWS_ACCESS_KEY_ID=(AKML[A-Z2-7]{16}) `).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve did not print its access key id:\n%s", out.String())
	}
	client := func(key string) *ec2.Client {
		return ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(ep), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "")})
	}
	ctx := context.Background()
	ss, err := client(m[1]).DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{})
	if err != nil || len(ss.TrafficMirrorSessions) != 1 {
		t.Fatalf("signed with the printed key id: %v %+v", err, ss)
	}
	sid := aws.ToString(ss.TrafficMirrorSessions[0].TrafficMirrorSessionId)
	_, err = client("test").DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AuthFailure" {
		t.Fatalf("signed with another key id: %v, want AuthFailure", err)
	}
	do := func(method, query string, hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, ep+"/?"+query, nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+m[1]+"/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00")
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	// mirrorlab export names the key id of $AWS_ACCESS_KEY_ID
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	if code, _, errOut := mainOut(t, "export", "--endpoint", ep); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("export with another key id: exit %d, %s", code, errOut)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", m[1])
	if code, out, errOut := mainOut(t, "export", "--endpoint", ep); code != 0 || !strings.Contains(out, "name:") {
		t.Errorf("export with the key id: exit %d, %s %s", code, out, errOut)
	}
	describe := "Action=DescribeTrafficMirrorSessions&Version=2016-11-15"
	del := "Action=DeleteTrafficMirrorSession&Version=2016-11-15&TrafficMirrorSessionId=" + url.QueryEscape(sid)
	defer func() {
		ss, err := client(m[1]).DescribeTrafficMirrorSessions(ctx, &ec2.DescribeTrafficMirrorSessionsInput{})
		if err != nil || len(ss.TrafficMirrorSessions) != 1 {
			t.Errorf("after the refused requests: %v, sessions %+v", err, ss)
		}
	}()
	for _, tc := range []struct {
		name, method, query string
		hdr                 map[string]string
		want                int
	}{
		{"query", "GET", describe, nil, 200},
		{"change with GET", "GET", del, nil, 405},
		{"rebinding Host", "POST", describe, map[string]string{"Host": "attacker.example" + ep[strings.LastIndex(ep, ":"):]}, 403},
		{"browser Origin", "POST", describe, map[string]string{"Origin": "http://attacker.example"}, 403},
		{"cross-site fetch", "POST", describe, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
	} {
		if got := do(tc.method, tc.query, tc.hdr); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// serve --empty is behind the same guard: with --access-key-id, a request
// signed with another key id is refused, one signed with it is served.
func TestServeEmptyGuard(t *testing.T) {
	const key = "AKMLEMPTYACCOUNT0001"
	ep, _ := startServe(t, "", serveOpts{empty: true, noLab: true, accessKeyID: key})
	client := func(key string) *ec2.Client {
		return ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(ep), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "")})
	}
	ctx := context.Background()
	zs, err := client(key).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(zs.AvailabilityZones) != 6 {
		t.Fatalf("signed with the key id: %v %+v", err, zs)
	}
	_, err = client("test").DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AuthFailure" {
		t.Fatalf("signed with another key id: %v, want AuthFailure", err)
	}
}
