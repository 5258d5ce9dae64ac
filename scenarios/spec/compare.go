package spec

import "github.com/mirrorlab/mirrorlab/agent/compare"

// CheckCompareIgnores checks header names and JSON paths the way the
// agent's -compare-ignore-header and -compare-ignore-json do.
func CheckCompareIgnores(headers, jsonPaths []string) error {
	_, err := compare.New(compare.Options{IgnoreHeaders: headers, IgnoreJSON: jsonPaths})
	return err
}
