package alibaba

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mirrorlab/mirrorlab/internal/apiserver/httpserve"
	"github.com/mirrorlab/mirrorlab/internal/codes"

	"github.com/mirrorlab/mirrorlab/cloudmock"
)

// Alibaba error codes. Those marked (confirmed) are named in Alibaba's
// SDK documentation or retried by name in the Terraform alicloud provider;
// the others follow Alibaba's Category.Resource pattern and could not be
// confirmed from the public API reference (see doc.go).
const (
	codeDryRun               = "DryRunOperation"                       // confirmed
	codeSessionNotFound      = "ResourceNotFound.TrafficMirrorSession" // confirmed
	codeFilterNotFound       = "ResourceNotFound.TrafficMirrorFilter"  // confirmed
	codeRuleNotFound         = "ResourceNotFound.TrafficMirrorRule"
	codeSessionStatus        = "IncorrectStatus.TrafficMirrorSession" // confirmed
	codeFilterStatus         = "IncorrectStatus.TrafficMirrorFilter"  // confirmed
	codeRuleStatus           = "IncorrectStatus.TrafficMirrorRule"    // confirmed
	codeENINotFound          = "ResourceNotFound.NetworkInterface"
	codeLBNotFound           = "ResourceNotFound.LoadBalancer"
	codeInvalidParameter     = "InvalidParameter"
	codeMissingParameter     = "MissingParameter"
	codeInvalidAction        = "InvalidAction.NotFound"
	codeInvalidVersion       = "InvalidVersion"
	codeIdempotentMismatch   = "IdempotentParameterMismatch"
	codeServiceNotOpen       = "OperationDenied.TrafficMirrorServiceNotOpen"
	codeFilterInUse          = "DependencyViolation.TrafficMirrorSession"
	codeSessionQuota         = "QuotaExceeded.TrafficMirrorSession"
	codeSourceQuota          = "QuotaExceeded.TrafficMirrorSource"
	codeRuleQuota            = "QuotaExceeded.TrafficMirrorRule"
	codeFilterQuota          = "QuotaExceeded.TrafficMirrorFilter"
	codeDuplicatePriority    = "DuplicatedParam.Priority"
	codeUnsupportedIPVersion = "OperationUnsupported.IpVersion"
	codeTooLarge             = "RequestEntityTooLarge"
	codeInternal             = "InternalError"
)

// apiError is an error answered to the client: the HTTP status and
// Alibaba's code and message (and the model's finding, Cause).
type apiError = httpserve.APIError

// errorf is a client error (HTTP 400).
func errorf(code, format string, args ...any) *apiError {
	return httpserve.Errorf(code, format, args...)
}

// notFound is a ResourceNotFound.* answer (HTTP 404).
func notFound(code, kind, id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: code, Message: fmt.Sprintf("The specified %s %q does not exist.", kind, id)}
}

// errMissing names a required parameter that was not given.
func errMissing(param string) *apiError {
	return errorf(codeMissingParameter, "The input parameter %q that is mandatory for processing this request is not supplied.", param)
}

// errInvalid names a parameter and its value.
func errInvalid(param, value, why string) *apiError {
	return errorf(codeInvalidParameter, "The parameter %s (%q) is invalid. %s", param, value, why)
}

// errDryRun answers a DryRun request that would have succeeded.
func errDryRun() *apiError {
	return errorf(codeDryRun, "Request validation has been passed with DryRun flag set.")
}

// errStatus answers a change to a resource that is still in a transitional
// state (Creating, Modifying, Deleting).
func errStatus(code, kind, id, status string) *apiError {
	return errorf(code, "The %s %q is %s; retry when it is Created.", kind, id, status)
}

func internalError(format string, args ...any) *apiError { return httpserve.Internal(format, args...) }

// asAPIError turns any error into an apiError.
func asAPIError(err error) *apiError { return httpserve.AsAPIError(err, fromValidation) }

// modelCodes maps the model's codes (EC2's) to Alibaba's.
var modelCodes = map[string]string{
	codes.FilterNotFound:           codeFilterNotFound,
	codes.NetworkInterfaceNotFound: codeENINotFound,
	codes.LoadBalancerNotFound:     codeLBNotFound,
	codes.SessionLimitExceeded:     codeSessionQuota,
	codes.SourceLimitExceeded:      codeSourceQuota,
	codes.FilterRuleLimitExceeded:  codeRuleQuota,
	codes.FilterLimitExceeded:      codeFilterQuota,
	codes.FilterRuleExists:         codeDuplicatePriority,
	codes.MissingParameter:         codeMissingParameter,
}

// fromValidation maps the model's finding to Alibaba's code, naming the
// resource, its id and the model's field.
func fromValidation(ve *cloudmock.ValidationError) *apiError {
	code, ok := modelCodes[ve.Code]
	switch {
	case ve.Code == codes.Unsupported && strings.Contains(ve.Message, "IPv6"):
		code = codeUnsupportedIPVersion
	case !ok:
		code = codeInvalidParameter
	}
	status := http.StatusBadRequest
	if strings.HasPrefix(code, "ResourceNotFound.") {
		status = http.StatusNotFound
	}
	id := ve.ID
	if id == "" {
		id = fmt.Sprintf("#%d", ve.Index+1)
	}
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf("%s (%s %s, field %s; model code %s)", ve.Message, ve.Resource, id, ve.Field, ve.Code), Cause: ve}
}
