package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// export fetches GET /mirrorlab/scenario and writes it out as it is; the
// server's refusals and a wrong endpoint are reported.
func TestExportCommand(t *testing.T) {
	const body = "name: exported\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet:
			http.Error(w, "method", http.StatusMethodNotAllowed)
		case r.URL.Path == "/mirrorlab/scenario":
			_, _ = w.Write([]byte(body))
		case r.URL.Path == "/broken/mirrorlab/scenario":
			http.Error(w, "export: the exported scenario does not load", http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)

	code, out, errOut := mainOut(t, "export", "--endpoint", srv.URL)
	if code != 0 || out != body {
		t.Fatalf("export to stdout: exit %d, out %q, err %q", code, out, errOut)
	}
	file := filepath.Join(t.TempDir(), "x.yaml")
	code, _, errOut = mainOut(t, "export", "--endpoint", srv.URL+"/", "-o", file)
	if b, err := os.ReadFile(file); code != 0 || err != nil || string(b) != body {
		t.Fatalf("export -o: exit %d (%s), file %q, %v", code, errOut, b, err)
	}
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	if code, out, errOut = mainOut(t, "export"); code != 0 || out != body {
		t.Fatalf("export with AWS_ENDPOINT_URL: exit %d, out %q, err %q", code, out, errOut)
	}
	code, _, errOut = mainOut(t, "export", "--endpoint", srv.URL+"/broken")
	if code != 1 || !strings.Contains(errOut, "500") || !strings.Contains(errOut, "does not load") {
		t.Fatalf("server error: exit %d, %q", code, errOut)
	}
	code, _, errOut = mainOut(t, "export", "--endpoint", "ftp://127.0.0.1/")
	if code != 2 || !strings.Contains(errOut, "--endpoint") {
		t.Fatalf("bad endpoint: exit %d, %q", code, errOut)
	}
}
