package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/mirrorlab/mirrorlab/apiserver/ec2api"
)

// runServeEmpty serves the API over a new account's state
// (ec2api.NewAccount): no scenario and, until the lab can be built from
// subnets alone, no lab (--empty implies --no-lab).
func runServeEmpty(ctx context.Context, a *app, file string, o serveOpts) error {
	if file != "" {
		return usageError{fmt.Errorf("--empty starts from a new account: give no FILE (got %q)", file)}
	}
	exposed, err := checkListen(o.listen)
	if err != nil {
		return err
	}
	spec, names, acct := ec2api.NewAccount("us-east-1")
	srv, err := ec2api.New(ec2api.Config{Spec: spec, Names: names, Account: acct})
	if err != nil {
		return failed(fmt.Errorf("serve --empty: %w", err))
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return failed(fmt.Errorf("listen on %s: %w", o.listen, err))
	}
	defer ln.Close()
	if exposed {
		fmt.Fprintf(a.stderr, "warning: the API listens on %s, beyond loopback: anyone who reaches it can change the account (signatures are not verified)\n", o.listen)
	}
	endpoint := "http://" + ln.Addr().String()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	fmt.Fprintf(a.stdout, "EC2 API for a new account (--empty) on %s\n", endpoint)
	fmt.Fprintln(a.stdout, "environment for the aws CLI and the SDKs (credentials are not checked):")
	fmt.Fprintf(a.stdout, "  export AWS_ENDPOINT_URL=%s AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n", endpoint)
	fmt.Fprintf(a.stdout, "default VPC %s (172.31.0.0/16), %d default subnets; API only (--empty implies --no-lab): changes are validated and kept, nothing mirrors\n",
		spec.Vpcs[0].VpcId, len(spec.Subnets))
	if o.ready != nil {
		o.ready(endpoint)
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return failed(err)
	}
	fmt.Fprintln(a.stdout, "API stopped")
	return nil
}
