package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/apiserver/ec2api"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/export"
	"github.com/mirrorlab/mirrorlab/internal/scenarios/spec"
)

// emptyFile is what serve --empty reports as its scenario's file.
const emptyFile = "(--empty: a new account)"

// runServeEmpty serves the API over a new account's state
// (ec2api.NewAccount) and, unless --no-lab, builds its network as a lab
// (the default VPC's subnets, no instances yet), so that what is created
// through the API later runs on it.
func runServeEmpty(ctx context.Context, a *app, file string, exposed bool, o serveOpts) error {
	if file != "" {
		return usageError{fmt.Errorf("--empty starts from a new account: give no FILE (got %q)", file)}
	}
	if o.provider == "alibaba" {
		return usageError{errors.New("--empty starts from a new AWS account: it serves the EC2 API, not --provider alibaba")}
	}
	st, tags := ec2api.NewAccount("us-east-1")
	s, src, err := accountScenario(st)
	if err != nil {
		return failed(err)
	}
	// mirrorlab export writes what was built on the account (named after
	// the Name tags) on top of the account's own network
	ex, err := export.New(emptyFile, src, nil)
	if err != nil {
		return failed(fmt.Errorf("serve --empty: %w", err))
	}
	// The lab follows the model: what the API creates (VPCs, subnets,
	// instances with their user data, load balancers…) is realised, what
	// it deletes removed; GetConsoleOutput answers the lab's user data
	// output.
	fwd := &applyForwarder{follow: true}
	srv, err := ec2api.New(ec2api.Config{Spec: st, Names: tags, Apply: fwd.apply, TargetHealth: fwd.health,
		ConsoleOutput: fwd.consoleOutput, Seed: s.Seed(), Export: ex.Export})
	if err != nil {
		return failed(fmt.Errorf("serve --empty: %w", err))
	}
	ln, start, err := listenEC2(a, o, exposed, "the account", srv, s, tags, func(footer string) string {
		return fmt.Sprintf("default VPC %s (%s), %d default subnets; %s", st.Vpcs[0].VpcId, st.Vpcs[0].CidrBlock, len(st.Subnets), footer)
	})
	if err != nil {
		return err
	}
	defer ln.Close()
	return serveAPIOrLab(ctx, a, s, srv.Spec(), nil, o, start, fwd)
}

// accountScenario is the scenario of a new account's network, for its
// lab and for export, with its source: its VPC and subnets, named by
// their ids (the lab finds the served state's resources by address), no
// instances.
func accountScenario(st cloudmock.Spec) (*spec.Scenario, []byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "name: new-account\nprofile: {provider: aws}\nnetwork:\n  vpcs:\n")
	for _, v := range st.Vpcs {
		fmt.Fprintf(&b, "    - name: %s\n      CidrBlock: %s\n      subnets:\n", v.VpcId, v.CidrBlock)
		for _, sn := range st.Subnets {
			if sn.VpcId == v.VpcId {
				fmt.Fprintf(&b, "        - {name: %s, CidrBlock: %s}\n", sn.SubnetId, sn.CidrBlock)
			}
		}
	}
	src := []byte(b.String())
	s, err := spec.Parse(emptyFile, src)
	if err != nil {
		return nil, nil, fmt.Errorf("the new account's network as a scenario: %w", err)
	}
	return s, src, nil
}
