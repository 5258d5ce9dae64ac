package sdkhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// Client sends each request with its body read into memory first.
type Client struct {
	// HTTP does the sending; nil is http.DefaultClient.
	HTTP *http.Client
}

// Do implements the SDK's HTTPClient.
func (c Client) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if cerr := r.Body.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("read the request body: %w", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		r.ContentLength = int64(len(b))
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(r)
}
