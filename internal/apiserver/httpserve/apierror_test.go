package httpserve

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// AsAPIError keeps an API error found in the chain, maps a model finding
// through the API's function, and answers anything else as internal.
func TestAsAPIError(t *testing.T) {
	mapped := func(ve *cloudmock.ValidationError) *APIError { return Errorf("Mapped", "%s", ve.Message) }
	own := Errorf("Own", "bad %s", "x")
	if got := AsAPIError(fmt.Errorf("wrapped: %w", own), mapped); got != own {
		t.Fatalf("wrapped API error = %v, want it as it is", got)
	}
	ve := &cloudmock.ValidationError{Code: "M", Message: "model says no"}
	if got := AsAPIError(fmt.Errorf("validate: %w", ve), mapped); got.Code != "Mapped" || got.Message != "model says no" {
		t.Fatalf("model finding = %v, want it mapped", got)
	}
	if got := AsAPIError(errors.New("disk on fire"), mapped); got.Status != http.StatusInternalServerError || got.Code != "InternalError" {
		t.Fatalf("other error = %+v, want an internal error", got)
	}
}

// The cache answers what was put under a key and forgets the oldest key
// past its bound, not a key put again.
func TestTokenCacheForgetsTheOldest(t *testing.T) {
	c := NewTokenCache[int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Put("a", 3) // again: stays the oldest
	c.Put("c", 4)
	if _, ok := c.Get("a"); ok {
		t.Fatal("the oldest key is remembered past the bound")
	}
	for k, want := range map[string]int{"b": 2, "c": 4} {
		if got, ok := c.Get(k); !ok || got != want {
			t.Fatalf("Get(%s) = %d, %v; want %d", k, got, ok, want)
		}
	}
}
