package ec2api

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mirrorlab/mirrorlab/internal/codes"
)

// Length and count limits on what a request may carry. They keep each
// resource, each remembered request and each Describe bounded (a
// description or a filter value of a megabyte would otherwise be kept, or
// matched against every resource).
const (
	// maxDescriptionLen is EC2's limit on a description (255 characters,
	// as for security groups; EC2 answers InvalidParameterValue).
	maxDescriptionLen = 255
	// maxClientTokenLen is EC2's limit on a ClientToken (64 ASCII
	// characters).
	maxClientTokenLen = 64
	// maxFilters and maxFilterValues bound one Describe's Filter.N and
	// the Filter.N.Value.M of all of them together (EC2 refuses more than
	// 200 values with FilterLimitExceeded).
	maxFilters      = 50
	maxFilterValues = 200
	// maxFilterValueLen bounds one Filter.N.Value.M: the longest value it
	// may have to equal is a tag value (256 characters).
	maxFilterValueLen = maxTagValueLen
)

const codeFilterLimitExceeded = "FilterLimitExceeded"

// errTooLong is InvalidParameterValue for a value over its length limit;
// the message does not echo the value.
func errTooLong(param string, n, limit int) *apiError {
	return errorf(codes.InvalidParameterValue, "The value for parameter %s is %d characters long; at most %d are allowed.", param, n, limit)
}

// checkLen refuses a value longer than limit characters.
func checkLen(param, v string, limit int) error {
	if len(v) <= limit { // bytes ≥ characters
		return nil
	}
	if n := utf8.RuneCountInString(v); n > limit {
		return errTooLong(param, n, limit)
	}
	return nil
}

// checkValueLimits applies the limits that depend on a parameter's name
// alone, at decoding, so that every action (and every future one) keeps
// them: a description (Description, IpRanges.N.Description, …) has at
// most 255 characters, a ClientToken at most 64 ASCII characters.
func checkValueLimits(k, v string) error {
	switch {
	case strings.HasSuffix(k, "Description"):
		return checkLen(k, v, maxDescriptionLen)
	case k == "ClientToken":
		for i := 0; i < len(v); i++ {
			if v[i] >= utf8.RuneSelf {
				return errorf(codes.InvalidParameterValue, "The parameter ClientToken must be ASCII.")
			}
		}
		return checkLen(k, v, maxClientTokenLen)
	}
	return nil
}

// checkFilterCount refuses more than maxFilters filters, before they
// are decoded.
func checkFilterCount(n int) error {
	if n > maxFilters {
		return errorf(codeFilterLimitExceeded, "The request has %d filters; at most %d are allowed.", n, maxFilters)
	}
	return nil
}

// checkFilterValues refuses a filter value too long, and more than
// maxFilterValues values in all (total counts those of earlier filters).
func checkFilterValues(pre string, vals []string, total int) error {
	for j, v := range vals {
		if err := checkLen(fmt.Sprintf("%s.Value.%d", pre, j+1), v, maxFilterValueLen); err != nil {
			return err
		}
	}
	if total > maxFilterValues {
		return errorf(codeFilterLimitExceeded, "The request has more than %d filter values; at most %d are allowed in one call.", maxFilterValues, maxFilterValues)
	}
	return nil
}
