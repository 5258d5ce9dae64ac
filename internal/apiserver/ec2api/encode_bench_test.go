package ec2api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkDescribeAnswers measures Describe answers of the fixture
// (filters, paging and encoding): interfaces, groups, ACLs, VPCs,
// subnets.
func BenchmarkDescribeAnswers(b *testing.B) {
	s, _ := startServer(b, Config{})
	actions := []string{"DescribeNetworkInterfaces", "DescribeSecurityGroups", "DescribeNetworkAcls", "DescribeVpcs", "DescribeSubnets"}
	b.ReportAllocs()
	for b.Loop() {
		for _, a := range actions {
			req := httptest.NewRequest("POST", "/", strings.NewReader("Action="+a+"&Version=2016-11-15"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("%s: %d %s", a, rec.Code, rec.Body.String())
			}
		}
	}
}
