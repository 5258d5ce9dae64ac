package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// defaultEndpoint is where mirrorlab serve listens unless told otherwise.
const defaultEndpoint = "http://127.0.0.1:4566"

// maxExport caps the exported file read from the server.
const maxExport = 16 << 20

func newExportCmd(a *app) *cobra.Command {
	var endpoint, out string
	cmd := &cobra.Command{
		Use:   "export [--endpoint URL] [-o FILE]",
		Short: "Write the state of a mirrorlab serve as a scenario file",
		Long: `Export asks a running mirrorlab serve for its current state (what the aws CLI,
an SDK or Terraform made of it) as a scenario file that mirrorlab validate
accepts, so that a set-up built through the API becomes a CI scenario. The
network and mirror sections are the server's state, every resource named
after its Name tag (or its id); the programs, traffic and expectations are the
served scenario's, and expectations that name a resource that is gone are
dropped with a comment that says so.

The endpoint defaults to $AWS_ENDPOINT_URL, then ` + defaultEndpoint + `. The
access key id in $AWS_ACCESS_KEY_ID is sent along, for a serve started with
--access-key-id.`,
		Example: `  mirrorlab export -o built.yaml && mirrorlab validate built.yaml
  mirrorlab export --endpoint http://127.0.0.1:4566`,
		GroupID: groupScenarios,
		Args:    maxArgs(0, "none"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), a, cmp.Or(endpoint, os.Getenv("AWS_ENDPOINT_URL"), defaultEndpoint), out)
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "`URL` of the mirrorlab serve API (default $AWS_ENDPOINT_URL, then "+defaultEndpoint+")")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the scenario to this `file` (default: standard output)")
	return cmd
}

func runExport(ctx context.Context, a *app, endpoint, out string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("--endpoint %q: want an http:// or https:// URL", endpoint)}
	}
	u = u.JoinPath("/mirrorlab/scenario")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return failed(err)
	}
	if key := os.Getenv("AWS_ACCESS_KEY_ID"); key != "" {
		// a serve started with --access-key-id serves only requests that
		// name its key id; it checks no signature
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/19700101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=none")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return failed(fmt.Errorf("is mirrorlab serve running at %s? %w", endpoint, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxExport+1))
	if err != nil {
		return failed(fmt.Errorf("read the answer of %s: %w", u, err))
	}
	if len(body) > maxExport {
		return failed(fmt.Errorf("the answer of %s is larger than %d MiB", u, maxExport>>20))
	}
	if resp.StatusCode != http.StatusOK {
		return failed(fmt.Errorf("%s answered %s: %s", u, resp.Status, strings.TrimSpace(string(body))))
	}
	if out == "" {
		if _, err := a.stdout.Write(body); err != nil {
			return failed(err)
		}
		return nil
	}
	if err := os.WriteFile(out, body, 0o644); err != nil {
		return failed(err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (%d bytes)\n", out, len(body))
	return nil
}
