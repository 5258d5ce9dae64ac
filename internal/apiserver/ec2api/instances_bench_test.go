package ec2api

import (
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// BenchmarkRunInstance is the API's part of an instance launched into an
// account of 100 (and 1000) running instances: one RunInstances and its
// TerminateInstances per iteration, validated by the model (no lab).
func BenchmarkRunInstance(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			cfg := accountConfig(Config{Seed: 1, Apply: func(cloudmock.Spec) error { return nil }})
			spec := cfg.Spec
			s, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			ami := imageCatalogue()[2].id() // amzn2 minimal x86_64
			run := "Action=RunInstances&Version=2016-11-15&ImageId=" + ami + "&InstanceType=m5.large&MinCount=1&MaxCount=%d&SubnetId=" + spec.Subnets[0].SubnetId
			if rec := serveForm(s, fmt.Sprintf(run, n)); rec.Code != 200 {
				b.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
			for b.Loop() {
				rec := serveForm(s, fmt.Sprintf(run, 1))
				var out struct {
					ID string `xml:"instancesSet>item>instanceId"`
				}
				if err := xml.Unmarshal(rec.Body.Bytes(), &out); rec.Code != 200 || err != nil {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
				if rec := serveForm(s, "Action=TerminateInstances&Version=2016-11-15&InstanceId.1="+out.ID); rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}
