package compare

import (
	"math"
	"sort"
	"strings"
	"time"
)

// maxSigs bounds the distinct sets of differing fields kept per endpoint
// (to re-classify them when noise is learned later).
const maxSigs = 64

type sig struct {
	keys    []string
	kind    kind
	count   uint64
	example string
}

type endpoint struct {
	name                                   string
	compared, identical, noise, incomplete uint64
	bodyUnchecked                          uint64
	noisy                                  map[string]bool
	sigs                                   map[string]*sig
	overflow                               [numKinds]uint64 // differences beyond maxSigs
	overflowEx                             string
	seen                                   map[uint64]*Response
	prodLat, testLat                       hist
}

func newEndpoint(name string) *endpoint {
	return &endpoint{name: name, noisy: map[string]bool{}, sigs: map[string]*sig{}, seen: map[uint64]*Response{}}
}

func (e *endpoint) learnNoise(key string) {
	if !e.noisy[key] && len(e.noisy) < 256 {
		e.noisy[key] = true
	}
}

func (e *endpoint) latency(prod, test *Response) {
	e.prodLat.add(prod.Latency)
	e.testLat.add(test.Latency)
}

// record classifies the differences of one pair and counts it.
func (e *endpoint) record(diffs []Diff) (Outcome, []Diff) {
	e.compared++
	if len(diffs) == 0 {
		e.identical++
		return Identical, nil
	}
	reg := diffs[:0:0]
	for _, d := range diffs {
		if !e.noisy[d.key()] {
			reg = append(reg, d)
		}
	}
	if len(reg) == 0 {
		e.noise++
		return Noise, diffs
	}
	keys := make([]string, 0, len(reg))
	for _, d := range reg {
		keys = append(keys, d.key())
	}
	sort.Strings(keys)
	id := strings.Join(keys, "\x00")
	if s, ok := e.sigs[id]; ok {
		s.count++
	} else if len(e.sigs) < maxSigs {
		e.sigs[id] = &sig{keys: keys, kind: reg[0].Kind, count: 1, example: reg[0].String()}
	} else {
		e.overflow[reg[0].Kind]++
		if e.overflowEx == "" {
			e.overflowEx = reg[0].String()
		}
	}
	return Different, reg
}

// FieldCount is a differing field and how many pairs differed there.
type FieldCount struct {
	Field string `json:"field"`
	Pairs uint64 `json:"pairs"`
}

// EndpointStats are one endpoint's figures.
type EndpointStats struct {
	Endpoint   string `json:"endpoint"`
	Compared   uint64 `json:"compared"`
	Identical  uint64 `json:"identical"`
	Different  uint64 `json:"different"`
	Noise      uint64 `json:"noise"`
	Incomplete uint64 `json:"incomplete"`
	// DifferentBy counts regressions by the kind of their first
	// difference: status, header, body.
	DifferentBy map[string]uint64 `json:"differentBy,omitempty"`
	// BodyUnchecked counts pairs whose body was over the cap (not compared).
	BodyUnchecked uint64 `json:"bodyUnchecked,omitempty"`
	// Fields are the fields that differ (regressions), most frequent first.
	Fields []FieldCount `json:"fields,omitempty"`
	// NoiseFields are the fields known to be noisy.
	NoiseFields []string `json:"noiseFields,omitempty"`
	// Example describes one regression.
	Example string `json:"example,omitempty"`
	// Latency percentiles and means in milliseconds, production and test,
	// over the compared pairs.
	ProdP50ms  float64 `json:"prodP50ms"`
	ProdP99ms  float64 `json:"prodP99ms"`
	TestP50ms  float64 `json:"testP50ms"`
	TestP99ms  float64 `json:"testP99ms"`
	ProdMeanMs float64 `json:"prodMeanMs"`
	TestMeanMs float64 `json:"testMeanMs"`
}

// Stats are the comparison's figures, endpoints sorted by name.
type Stats struct {
	Compared   uint64          `json:"compared"`
	Identical  uint64          `json:"identical"`
	Different  uint64          `json:"different"`
	Noise      uint64          `json:"noise"`
	Incomplete uint64          `json:"incomplete"`
	Endpoints  []EndpointStats `json:"endpoints,omitempty"`
	// Latency percentiles over every endpoint, in milliseconds.
	ProdP50ms float64 `json:"prodP50ms"`
	ProdP90ms float64 `json:"prodP90ms"`
	ProdP99ms float64 `json:"prodP99ms"`
	TestP50ms float64 `json:"testP50ms"`
	TestP90ms float64 `json:"testP90ms"`
	TestP99ms float64 `json:"testP99ms"`
	// Pending and Dropped are filled by the caller that joins the pairs:
	// pairs waiting for a response, and pairs never compared by reason.
	Pending int               `json:"pending"`
	Dropped map[string]uint64 `json:"dropped,omitempty"`
	// Learning noise from production's own answers to identical requests
	// (on without a baseline): responses kept to compare later ones with,
	// their bytes (charged to the memory budget), and responses not kept
	// (an endpoint's count, the byte cap or the budget reached).
	LearnKept      int64  `json:"learnKept,omitempty"`
	LearnKeptBytes int64  `json:"learnKeptBytes,omitempty"`
	LearnSkipped   uint64 `json:"learnSkipped,omitempty"`
}

// Stats returns the figures so far. Differences whose fields have since
// been learned as noise count as noise.
func (c *Comparer) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s Stats
	eps := make([]*endpoint, 0, len(c.endpoints)+1)
	for _, ep := range c.endpoints {
		eps = append(eps, ep)
	}
	if c.other.compared+c.other.incomplete > 0 {
		eps = append(eps, c.other)
	}
	for _, ep := range eps {
		es := ep.stats()
		s.Compared += es.Compared
		s.Identical += es.Identical
		s.Different += es.Different
		s.Noise += es.Noise
		s.Incomplete += es.Incomplete
		s.Endpoints = append(s.Endpoints, es)
	}
	sort.Slice(s.Endpoints, func(i, j int) bool { return s.Endpoints[i].Endpoint < s.Endpoints[j].Endpoint })
	s.ProdP50ms, s.ProdP90ms, s.ProdP99ms = c.prodAll.quantile(0.5), c.prodAll.quantile(0.9), c.prodAll.quantile(0.99)
	s.TestP50ms, s.TestP90ms, s.TestP99ms = c.testAll.quantile(0.5), c.testAll.quantile(0.9), c.testAll.quantile(0.99)
	s.LearnKept, s.LearnKeptBytes, s.LearnSkipped = c.kept, c.keptBytes, c.learnSkipped
	return s
}

func (e *endpoint) stats() EndpointStats {
	es := EndpointStats{Endpoint: e.name, Compared: e.compared, Identical: e.identical, Noise: e.noise,
		Incomplete: e.incomplete, BodyUnchecked: e.bodyUnchecked, Example: e.overflowEx}
	by := map[string]uint64{}
	for k, n := range e.overflow {
		if n > 0 {
			by[kind(k).String()] += n
			es.Different += n
		}
	}
	fields := map[string]uint64{}
	var best uint64
	for _, s := range e.sigs {
		allNoise := true
		for _, k := range s.keys {
			if !e.noisy[k] {
				allNoise = false
				fields[k] += s.count
			}
		}
		if allNoise {
			es.Noise += s.count
			continue
		}
		es.Different += s.count
		by[s.kind.String()] += s.count
		if s.count > best {
			best, es.Example = s.count, s.example
		}
	}
	if len(by) > 0 {
		es.DifferentBy = by
	}
	for k, n := range fields {
		es.Fields = append(es.Fields, FieldCount{k, n})
	}
	sort.Slice(es.Fields, func(i, j int) bool {
		if es.Fields[i].Pairs != es.Fields[j].Pairs {
			return es.Fields[i].Pairs > es.Fields[j].Pairs
		}
		return es.Fields[i].Field < es.Fields[j].Field
	})
	for k := range e.noisy {
		es.NoiseFields = append(es.NoiseFields, k)
	}
	sort.Strings(es.NoiseFields)
	es.ProdP50ms, es.ProdP99ms = e.prodLat.quantile(0.5), e.prodLat.quantile(0.99)
	es.TestP50ms, es.TestP99ms = e.testLat.quantile(0.5), e.testLat.quantile(0.99)
	es.ProdMeanMs, es.TestMeanMs = e.prodLat.mean(), e.testLat.mean()
	return es
}

// hist is a log-bucketed latency histogram: bucket i holds latencies up
// to 10µs × 1.2^i (about 10% resolution), the last one everything above.
type hist struct {
	n       uint64
	sumMs   float64
	buckets [numBuckets]uint64
}

const numBuckets = 96

var bucketBounds = func() (b [numBuckets]float64) {
	v := 0.01 // ms
	for i := range b {
		b[i] = v
		v *= 1.2
	}
	return b
}()

func (h *hist) add(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	i := sort.SearchFloat64s(bucketBounds[:], ms)
	if i >= numBuckets {
		i = numBuckets - 1
	}
	h.buckets[i]++
	h.n++
	h.sumMs += ms
}

// mean returns the mean in milliseconds, 0 without samples.
func (h *hist) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return math.Round(h.sumMs/float64(h.n)*1000) / 1000
}

// quantile returns the q-quantile in milliseconds (the bucket's upper
// bound), 0 without samples.
func (h *hist) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var cum uint64
	for i, n := range h.buckets {
		cum += n
		if cum >= rank {
			return math.Round(bucketBounds[i]*1000) / 1000
		}
	}
	return bucketBounds[numBuckets-1]
}
