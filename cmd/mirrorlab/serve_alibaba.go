package main

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/alibaba"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/httpserve"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// providerFlag adds serve's --provider.
func providerFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "provider", "", "`API` to serve: aws (the EC2 API) or alibaba (Alibaba Cloud's VPC OpenAPI); default: the scenario's profile")
}

// servesAlibaba says whether serve speaks Alibaba's OpenAPI: --provider,
// or else the scenario's profile. Alibaba's API over an aws-profile
// scenario is refused (the model's rules would be AWS's).
func servesAlibaba(provider string, ms cloudmock.Spec) (bool, error) {
	profile := cmp.Or(ms.Profile, "aws")
	switch provider {
	case "":
		return profile == "alibaba", nil
	case "aws":
		return false, nil
	case "alibaba":
		if profile != "alibaba" {
			return false, usageError{fmt.Errorf("--provider alibaba needs a scenario with the alibaba profile (profile: {provider: alibaba}); this one's is %s", profile)}
		}
		return true, nil
	}
	return false, usageError{fmt.Errorf("--provider %q: want aws or alibaba", provider)}
}

// alibabaRegion is the region the Alibaba API serves.
const alibabaRegion = "cn-hangzhou"

// newAlibabaHandler builds the Alibaba OpenAPI server for a scenario: ids
// Alibaba-shaped and stable for the file, changes handed to fwd.
func newAlibabaHandler(s *spec.Scenario, ms cloudmock.Spec, fwd *applyForwarder) (*alibaba.Server, map[string]string, error) {
	served, names := alibaba.AssignIDs(ms, s.Name)
	srv, err := alibaba.New(alibaba.Config{Spec: served, Names: names, Region: alibabaRegion, Apply: fwd.apply, Seed: s.Seed()})
	if err != nil {
		return nil, nil, fmt.Errorf("serve %s: %w", s.File, err)
	}
	return srv, names, nil
}

// runServeAlibaba is serve with Alibaba Cloud's VPC OpenAPI.
func runServeAlibaba(ctx context.Context, a *app, s *spec.Scenario, ms cloudmock.Spec, o serveOpts) error {
	exposed, err := checkListen(o.listen)
	if err != nil {
		return err
	}
	fwd := &applyForwarder{}
	srv, names, err := newAlibabaHandler(s, ms, fwd)
	if err != nil {
		return failed(err)
	}
	ln, err := listenAPI(a, o, exposed, "the lab's mirror configuration")
	if err != nil {
		return err
	}
	defer ln.Close()
	serve, err := guardedStart(srv, ln, httpserve.GuardOptions{AccessKeyID: o.accessKeyID, KeyID: alibaba.KeyID, Refuse: srv.Refuse})
	if err != nil {
		return failed(err)
	}
	endpoint := ln.Addr().String()
	start := func(footer string) func() error {
		stop := serve()
		printServeAlibaba(a.stdout, endpoint, o.accessKeyID, s, srv.Spec(), names, footer)
		if o.ready != nil {
			o.ready("http://" + endpoint)
		}
		return stop
	}
	return serveAPIOrLab(ctx, a, s, srv.Applied(), names, o, start, fwd)
}

// printServeAlibaba prints the endpoint, how an SDK reaches it and the
// network interfaces with their names.
func printServeAlibaba(w io.Writer, endpoint, keyID string, s *spec.Scenario, st cloudmock.Spec, names map[string]string, footer string) {
	fmt.Fprintf(w, "Alibaba Cloud VPC OpenAPI (2016-04-28; ECS DescribeNetworkInterfaces, SLB DescribeLoadBalancers) for %s (%s) on http://%s\n", s.Name, s.File, endpoint)
	checked, key := "credentials are not checked", "test"
	if keyID != "" {
		checked, key = "only this access key id is served; the secret is not checked", keyID
	}
	fmt.Fprintf(w, "SDK config: Endpoint=%s Protocol=http RegionId=%s (%s):\n", endpoint, alibabaRegion, checked)
	fmt.Fprintf(w, "  export ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=test ALIBABA_CLOUD_REGION_ID=%s\n", key, alibabaRegion)
	printENIs(w, st, names, "  %-26s %-16s %s\n")
	fmt.Fprintln(w, footer)
}
