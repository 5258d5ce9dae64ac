package workload

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func fetch(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestServerRoutesNoiseAndDelay(t *testing.T) {
	cfg, err := ParseServerArgs([]string{"-body", `{"v":1}`, "-route", "/broken=500",
		"-route", `/user/*=200:{"name":"b"}`, "-noise-field", "ts", "-delay", "30ms"})
	if err != nil {
		t.Fatal(err)
	}
	_, url := startServer(t, cfg, nil)
	start := time.Now()
	st, ct, body := fetch(t, url+"/broken?x=1")
	if st != 500 || ct != "application/json" {
		t.Fatalf("/broken: %d %s %s", st, ct, body)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("no delay")
	}
	_, _, b1 := fetch(t, url+"/user/7")
	_, _, b2 := fetch(t, url+"/user/7")
	var m1, m2 map[string]any
	if json.Unmarshal([]byte(b1), &m1) != nil || json.Unmarshal([]byte(b2), &m2) != nil {
		t.Fatalf("not JSON: %s %s", b1, b2)
	}
	if m1["name"] != "b" || m1["ts"] == nil || m1["ts"] == m2["ts"] {
		t.Fatalf("route body or noise field wrong: %s then %s", b1, b2)
	}
	if _, _, b := fetch(t, url+"/other"); !strings.Contains(b, `"v":1`) {
		t.Fatalf("default body: %s", b)
	}
}

func TestServerArgErrors(t *testing.T) {
	for _, bad := range [][]string{
		{"-route", "nopath=200"}, {"-route", "/x=abc"}, {"-route", "/x"}, {"-delay", "-1s"},
		{"-noise-field", "ts"}, // default body "ok\n" is not a JSON object
	} {
		if _, err := ParseServerArgs(bad); err == nil {
			t.Errorf("ParseServerArgs(%q) accepted", bad)
		}
	}
}
