package ec2api

import (
	"fmt"
	"net/http"
	"regexp"

	"github.com/mirrorlab/mirrorlab/internal/apiserver/httpserve"
	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// EC2 error codes the server answers with, besides the model's (which it
// answers as they are).
const (
	codeDryRun              = "DryRunOperation"
	codeInvalidAction       = "InvalidAction"
	codeMissingAction       = "MissingAction"
	codeNoSuchVersion       = "NoSuchVersion"
	codeUnknownParameter    = "UnknownParameter"
	codeMalformedQuery      = "MalformedQueryString"
	codeTooLarge            = "RequestEntityTooLarge"
	codeInternal            = "InternalError"
	codeIdempotentMismatch  = "IdempotentParameterMismatch"
	codeDependencyViolation = codes.Dependency
	codeTagLimitExceeded    = "TagLimitExceeded"
	codeMethodNotAllowed    = "MethodNotAllowed"
	codeFilterNotFound      = codes.FilterNotFound
	codeFilterRuleNotFound  = "InvalidTrafficMirrorFilterRuleId.NotFound"
	codeTargetNotFound      = codes.TargetNotFound
	codeSessionNotFound     = "InvalidTrafficMirrorSessionId.NotFound"
)

// apiError is an error answered to the client: an HTTP status, an EC2 error
// code and a message, and the model's finding (Cause) when the error comes
// from validation.
type apiError = httpserve.APIError

// errorf is a client error (HTTP 400) with an EC2 code.
func errorf(code, format string, args ...any) *apiError {
	return httpserve.Errorf(code, format, args...)
}

// errMissing is EC2's answer to a missing required parameter.
func errMissing(param string) *apiError {
	return errorf(codes.MissingParameter, "The request must contain the parameter %s", param)
}

// errInvalid is InvalidParameterValue naming the parameter and its value.
func errInvalid(param, value, why string) *apiError {
	return errorf(codes.InvalidParameterValue, "Value (%s) for parameter %s is invalid. %s", value, param, why)
}

// errDryRun is the answer to a request with DryRun=true that would succeed.
func errDryRun() *apiError {
	return &apiError{Status: http.StatusPreconditionFailed, Code: codeDryRun, Message: "Request would have succeeded, but DryRun flag is set."}
}

// internalError is a server-side failure (HTTP 500).
func internalError(format string, args ...any) *apiError { return httpserve.Internal(format, args...) }

// asAPIError turns any error into an apiError: an *apiError as is, a model
// validation error mapped by fromValidation, anything else an internal
// error.
func asAPIError(err error) *apiError { return httpserve.AsAPIError(err, fromValidation) }

// ruleListField matches the model's path of a filter rule inside a filter.
var ruleListField = regexp.MustCompile(`^(?:Ingress|Egress)FilterRules\[\d+\]\.`)

// paramName turns a model field path into the request parameter it comes
// from: a filter rule's fields are top-level parameters of the rule
// actions, list indexes become EC2's 1-based ".N".
func paramName(field string) string {
	field = ruleListField.ReplaceAllString(field, "")
	return indexField.ReplaceAllStringFunc(field, func(m string) string {
		var n int
		_, _ = fmt.Sscanf(m, "[%d]", &n)
		return fmt.Sprintf(".%d", n+1)
	})
}

var indexField = regexp.MustCompile(`\[\d+\]`)

// fromValidation maps the model's finding to an EC2 error that names the
// parameter and the resource.
func fromValidation(ve *cloudmock.ValidationError) *apiError {
	id := ve.ID
	if id == "" {
		id = fmt.Sprintf("#%d", ve.Index+1)
	}
	return &apiError{
		Status:  http.StatusBadRequest,
		Code:    ve.Code,
		Message: fmt.Sprintf("%s (parameter %s of %s %s)", ve.Message, paramName(ve.Field), ve.Resource, id),
		Cause:   ve,
	}
}

// notFound is the "does not exist" answer for an id of a kind.
func notFound(code, kind, id string) *apiError {
	return errorf(code, "The %s '%s' does not exist.", kind, id)
}
