package cloudmock

// CostInput is what a cost estimate needs.
type CostInput struct {
	// ENIs is the number of ENIs with a session on (AWS: source ENIs).
	ENIs int
	// Hours the sessions stay on.
	Hours float64
	// GB mirrored (Alibaba charges per GB; AWS does not).
	GB float64
}

// Cost is an estimate in USD.
type Cost struct {
	Profile  string  `json:"Profile"`
	ENIHours float64 `json:"ENIHours"`
	ENIUSD   float64 `json:"ENIUSD"`
	DataUSD  float64 `json:"DataUSD"`
	TotalUSD float64 `json:"TotalUSD"`
}

// EstimateCost prices a mirroring set-up with the profile's published
// prices (AWS: 0.015 USD per source ENI-hour; Alibaba: 0.014 USD per
// ENI-hour plus 0.007 USD per GB). Totals are rounded to the cent.
func (p Profile) EstimateCost(in CostInput) Cost {
	c := Cost{Profile: p.Name, ENIHours: float64(in.ENIs) * in.Hours}
	c.ENIUSD = roundCent(c.ENIHours * p.PricePerENIHour)
	c.DataUSD = roundCent(in.GB * p.PricePerGB)
	c.TotalUSD = roundCent(c.ENIUSD + c.DataUSD)
	return c
}

// EstimateCost prices this model's sessions for hours and gb mirrored:
// every ENI that is the source of a session counts.
func (m *Model) EstimateCost(hours, gb float64) Cost {
	return m.profile.EstimateCost(CostInput{ENIs: len(m.SourceENIs()), Hours: hours, GB: gb})
}

func roundCent(v float64) float64 {
	if v < 0 {
		return -roundCent(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}
