package workload

// Comparison is how the requests a test server got compare with those
// production got, by method, path and body (as multisets).
type Comparison struct {
	Production int `json:"production"`
	Test       int `json:"test"`
	// Matched counts production requests the test server also got.
	Matched int `json:"matched"`
	// Missing are production requests the test server did not get;
	// Unexpected are test requests production did not get (first few each).
	Missing     []Request `json:"missing,omitempty"`
	MissingN    int       `json:"missingCount"`
	Unexpected  []Request `json:"unexpected,omitempty"`
	UnexpectedN int       `json:"unexpectedCount"`
}

// Completeness is Matched / Production (1 when production got nothing).
func (c Comparison) Completeness() float64 {
	if c.Production == 0 {
		return 1
	}
	return float64(c.Matched) / float64(c.Production)
}

const keepExamples = 5

// CompareRequests matches test against production.
func CompareRequests(production, test []Request) Comparison {
	c := Comparison{Production: len(production), Test: len(test)}
	left := make(map[string]int, len(test))
	for _, r := range test {
		left[r.key()]++
	}
	for _, r := range production {
		if left[r.key()] > 0 {
			left[r.key()]--
			c.Matched++
			continue
		}
		c.MissingN++
		if len(c.Missing) < keepExamples {
			c.Missing = append(c.Missing, r)
		}
	}
	for _, r := range test {
		if left[r.key()] > 0 {
			left[r.key()]--
			c.UnexpectedN++
			if len(c.Unexpected) < keepExamples {
				c.Unexpected = append(c.Unexpected, r)
			}
		}
	}
	return c
}
