package httpserve

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// APIError is an API's answer to a request it refuses: the HTTP status,
// the API's error code and message, and Cause, the model's finding when
// the model's validation refused the change. The EC2 and the Alibaba
// servers answer with it alike, each in its own code names and wire
// format.
type APIError struct {
	Status  int
	Code    string
	Message string
	Cause   *cloudmock.ValidationError
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Errorf is a client error (HTTP 400) with an API's code.
func Errorf(code, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal is a server-side failure (HTTP 500, InternalError).
func Internal(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: fmt.Sprintf(format, args...)}
}

// AsAPIError turns any error into an *APIError: one in err's chain as it
// is, a model finding mapped by fromValidation (the API's codes and
// parameter names), anything else an internal error.
func AsAPIError(err error, fromValidation func(*cloudmock.ValidationError) *APIError) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *cloudmock.ValidationError
	if errors.As(err, &ve) {
		return fromValidation(ve)
	}
	return Internal("%v", err)
}

// TokenCache remembers entries (a request's fingerprint and its answer)
// by ClientToken, so that an API answers a retry as it answered the first
// request; past max entries the oldest are forgotten.
type TokenCache[E any] struct {
	m     map[string]E
	order []string
	max   int
}

// NewTokenCache returns an empty cache of at most max entries.
func NewTokenCache[E any](max int) TokenCache[E] {
	return TokenCache[E]{m: map[string]E{}, max: max}
}

// Get returns the entry remembered under key.
func (t *TokenCache[E]) Get(key string) (E, bool) {
	e, ok := t.m[key]
	return e, ok
}

// Put remembers e under key, forgetting the oldest keys past max.
func (t *TokenCache[E]) Put(key string, e E) {
	if _, ok := t.m[key]; !ok {
		t.order = append(t.order, key)
	}
	t.m[key] = e
	for len(t.order) > t.max {
		delete(t.m, t.order[0])
		t.order = t.order[1:]
	}
}
