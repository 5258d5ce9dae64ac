package report

import (
	"encoding/json"
	"time"
)

// Durations are written to JSON in seconds (a float), as people and other
// tools read them, and read back from seconds. The Go fields stay
// time.Durations: the outer field of the same JSON name shadows the
// embedded one.

// MarshalJSON writes Duration in seconds.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Duration float64 `json:"duration"`
	}{plain(r), r.Duration.Seconds()})
}

// UnmarshalJSON reads Duration in seconds.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	v := struct {
		*plain
		Duration float64 `json:"duration"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	r.Duration = seconds(v.Duration)
	return nil
}

// MarshalJSON writes Elapsed in seconds.
func (t TrafficResult) MarshalJSON() ([]byte, error) {
	type plain TrafficResult
	return json.Marshal(struct {
		plain
		Elapsed float64 `json:"elapsed"`
	}{plain(t), t.Elapsed.Seconds()})
}

// UnmarshalJSON reads Elapsed in seconds.
func (t *TrafficResult) UnmarshalJSON(b []byte) error {
	type plain TrafficResult
	v := struct {
		*plain
		Elapsed float64 `json:"elapsed"`
	}{plain: (*plain)(t)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t.Elapsed = seconds(v.Elapsed)
	return nil
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}
