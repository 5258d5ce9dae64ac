package main

import (
	"fmt"
	"net/http"
	"os"
	"testing"
)

// asCommandEnv makes the test binary run as the mirrorlab command (the lab
// owner that up -d starts by re-running its own executable).
const asCommandEnv = "MIRRORLAB_TEST_AS_COMMAND"

// testHTTPServerEnv makes the test binary a web server on the address it
// holds, which logs each request line on standard output (the web servers
// that the instances' user data start in the walk-through test).
const testHTTPServerEnv = "MIRRORLAB_TEST_HTTP_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		main()
	}
	if addr := os.Getenv(testHTTPServerEnv); addr != "" {
		fmt.Fprintln(os.Stderr, http.ListenAndServe(addr, http.HandlerFunc(logRequest)))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// logRequest prints the request line and answers 200 with it.
func logRequest(w http.ResponseWriter, r *http.Request) {
	line := fmt.Sprintf("%s %s %s", r.Method, r.RequestURI, r.Proto)
	fmt.Println(line)
	fmt.Fprintln(w, line)
}
