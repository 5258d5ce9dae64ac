package ec2api

import (
	"regexp"
	"strings"
	"testing"
)

// retries is how many times each bad request is sent: a choice made by
// ranging over a Go map (random start on every range) shows two answers
// long before this.
const retries = 50

// errorPart is an error body without its request id (random per
// request): the status, code and message a client sees.
var errorPart = regexp.MustCompile(`<Code>[^<]*</Code>\s*<Message>[^<]*</Message>`)

// A request with several bad parameters gets the same error on every
// retry, and that error names the first bad parameter in the documented
// order: code order where the action reads them in turn, sorted key
// order where the reader scans the request's keys (as unread does).
func TestSameBadRequestSameAnswer(t *testing.T) {
	s, _ := testServer(t, Config{})
	const ec2v = "&Version=2016-11-15"
	long := strings.Repeat("d", maxDescriptionLen+1)
	for _, tc := range []struct{ name, form, want string }{
		{"malformed indexes", "Action=CreateTags" + ec2v + "&Tag.1.Key=k&ResourceId.x=a&ResourceId.0=b&ResourceId.01=c&ResourceId.-1=d&ResourceId.y.z=e",
			"The parameter ResourceId.-1 is not recognized"},
		{"repeated keys", "Action=DescribeVpcs" + ec2v + "&VpcId.3=a&VpcId.3=b&VpcId.1=a&VpcId.1=b&VpcId.2=a&VpcId.2=b&MaxResults=5&MaxResults=6",
			"The parameter MaxResults is given more than once"},
		{"value limits", "Action=CreateSecurityGroup" + ec2v + "&GroupName=g&GroupDescription=" + long + "&Description=" + long +
			"&TagSpecification.1.Description=" + long + "&ClientToken=" + strings.Repeat("t", maxClientTokenLen+1),
			"ClientToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answers := map[string]int{}
			for range retries {
				rec := serveForm(s, tc.form)
				answers[rec.Result().Status+" "+errorPart.FindString(rec.Body.String())]++
			}
			if len(answers) != 1 {
				t.Fatalf("%d identical requests got %d different answers: %v", retries, len(answers), answers)
			}
			for a := range answers {
				if !strings.Contains(a, "400") || !strings.Contains(a, tc.want) {
					t.Fatalf("answer %q, want a 400 naming %q", a, tc.want)
				}
			}
		})
	}
}
