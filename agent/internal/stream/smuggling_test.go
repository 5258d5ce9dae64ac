package stream

import (
	"fmt"
	"reflect"
	"testing"
)

// TestRefusedRequestCountedOnce: a request production refuses (here two
// different Content-Length values) carrying requests in what would be its
// body is one request, counted once (dropped, reason malformed): the
// requests hidden in it are neither replayed nor counted as parsed.
// Before issue 25 the parser resynchronised inside it: one malformed and
// two parsed, for two requests sent.
func TestRefusedRequestCountedOnce(t *testing.T) {
	h := newHarness(t, Config{})
	hidden := "GET /hidden/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /hidden/2 HTTP/1.1\r\nHost: h\r\n\r\n"
	data := "GET /first HTTP/1.1\r\nHost: h\r\n\r\n" +
		fmt.Sprintf("POST /smuggle HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: %d\r\n\r\n%s", len(hidden), hidden)
	h.send(40000, segments(1, []byte(data), 40, true))
	h.shard.Close()
	if want := []string{"40000 GET /first "}; !reflect.DeepEqual(h.got, want) {
		t.Fatalf("replayed %q, want %q", h.got, want)
	}
	s := h.c.Snapshot()
	if s.Requests.Parsed != 1 || s.Requests.Dropped["malformed"] != 1 || s.DroppedTotal() != 1 {
		t.Fatalf("parsed %d dropped %v: want 1 parsed and 1 malformed for the 2 requests sent", s.Requests.Parsed, s.Requests.Dropped)
	}
}
