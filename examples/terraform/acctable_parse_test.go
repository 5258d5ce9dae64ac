package terraform

import (
	"encoding/json"
	"strings"
	"testing"
)

// events is test2json output for the given (action, test, output) triples.
func events(t *testing.T, triples ...[3]string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range triples {
		j, err := json.Marshal(testEvent{Action: e[0], Test: e[1], Output: e[2]})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// A pass, a skip hiding a missing action, a failure with Terraform's
// diagnostic, and a test that never ended, in the order asked for, with
// the first error of each.
func TestReadAccResults(t *testing.T) {
	const skipOut = "    vpc_traffic_mirror_target_test.go:27: skipping test for aws/us-east-1: Step 1/2 error: Error running apply: exit status 1\n" +
		"        \n        Error: creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 400, RequestID: 7, api error InvalidAction: The action CreateVpc is not valid for this web service.\n" +
		"        \n          with aws_vpc.test,\n"
	const failOut = "    vpc_traffic_mirror_filter_test.go:27: Step 2/2 error running import: exit status 1\n" +
		"        \n        Error: Cannot import non-existent remote object\n"
	in := events(t,
		[3]string{"start", "", ""},
		[3]string{"run", "TestAccVPCTrafficMirrorFilter_basic", ""},
		[3]string{"run", "TestAccVPCTrafficMirrorTarget_nlb", ""},
		[3]string{"output", "TestAccVPCTrafficMirrorTarget_nlb", skipOut},
		[3]string{"skip", "TestAccVPCTrafficMirrorTarget_nlb", ""},
		[3]string{"output", "TestAccVPCTrafficMirrorFilter_basic", "=== RUN   TestAccVPCTrafficMirrorFilter_basic\n"},
		[3]string{"pass", "TestAccVPCTrafficMirrorFilter_basic", ""},
		[3]string{"run", "TestAccVPCTrafficMirrorFilter_tags", ""},
		[3]string{"output", "TestAccVPCTrafficMirrorFilter_tags", failOut},
		[3]string{"fail", "TestAccVPCTrafficMirrorFilter_tags", ""},
		[3]string{"run", "TestAccVPCTrafficMirrorSession_basic", ""},
		[3]string{"output", "TestAccVPCTrafficMirrorSession_basic", "panic: test timed out after 1m0s\n"},
		[3]string{"fail", "", ""},
	)
	want := []string{"TestAccVPCTrafficMirrorFilter_basic", "TestAccVPCTrafficMirrorFilter_tags", "TestAccVPCTrafficMirrorFilter_disappears"}
	got, err := readAccResults(strings.NewReader(in), want)
	if err != nil {
		t.Fatal(err)
	}
	exp := []accResult{
		{"TestAccVPCTrafficMirrorFilter_basic", "PASS", ""},
		{"TestAccVPCTrafficMirrorFilter_tags", "FAIL", "step 2/2: Error: Cannot import non-existent remote object"},
		{"TestAccVPCTrafficMirrorFilter_disappears", "NONE", "no result: the test binary stopped before this test ended"},
		{"TestAccVPCTrafficMirrorTarget_nlb", "SKIP", "step 1/2: EC2 CreateVpc: HTTP 400 InvalidAction: The action CreateVpc is not valid for this web service."},
		{"TestAccVPCTrafficMirrorSession_basic", "NONE", "no result: the test binary stopped before this test ended (panic: test timed out after 1m0s)"},
	}
	if len(got) != len(exp) {
		t.Fatalf("got %d results, want %d:\n%s", len(got), len(exp), accTable(got))
	}
	for i := range exp {
		if got[i] != exp[i] {
			t.Errorf("result %d:\n got %+v\nwant %+v", i, got[i], exp[i])
		}
	}
	table := accTable(got)
	if !strings.Contains(table, "| TestAccVPCTrafficMirrorTarget_nlb | SKIP | step 1/2: EC2 CreateVpc") {
		t.Errorf("the table lacks the skip's row:\n%s", table)
	}
}

// The first SDK error wins over later ones and over Terraform's summary;
// an SDK error without an API code is still named; an empty output says so.
func TestAccReason(t *testing.T) {
	for _, c := range []struct{ out, want string }{
		{"Error: creating EC2 Traffic Mirror Target: operation error EC2: CreateTrafficMirrorTarget, https response error StatusCode: 400, RequestID: a, api error InvalidParameterValue: bad NetworkLoadBalancerArn\nlater operation error EC2: X, https response error StatusCode: 500, RequestID: b, api error Y: z\n",
			"EC2 CreateTrafficMirrorTarget: HTTP 400 InvalidParameterValue: bad NetworkLoadBalancerArn"},
		{"Error: reading: operation error EC2: DescribeVpcs, deserialization failed, failed to decode response body\n",
			"operation error EC2: DescribeVpcs, deserialization failed, failed to decode response body"},
		{"    x_test.go:9: Check failed: attribute \"arn\" expected \"a\", got \"b\"\n", `Check failed: attribute "arn" expected "a", got "b"`},
		// as captured from TestAccVPCTrafficMirrorSession_disappears on main
		{"=== CONT  TestAccVPCTrafficMirrorSession_disappears\n    acctest.go:1808: skipping test for aws/us-east-1: Error running apply: exit status 1\n        \n        Error: creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 400, RequestID: f4049e5b-908d-47f1-9646-0c4bb334c919, api error InvalidAction: The action CreateVpc is not valid for this web service (EC2, version 2016-11-15).\n",
			"EC2 CreateVpc: HTTP 400 InvalidAction: The action CreateVpc is not valid for this web service (EC2, version 2016-11-15)."},
		{"", "(no message)"},
	} {
		if got := accReason(c.out); got != c.want {
			t.Errorf("accReason(%q)\n got %q\nwant %q", c.out, got, c.want)
		}
	}
}

// A line that is not JSON is an error naming the line.
func TestReadAccResultsBadLine(t *testing.T) {
	_, err := readAccResults(strings.NewReader(events(t, [3]string{"run", "A", ""})+"not json\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}
