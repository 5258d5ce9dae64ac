package runner

import "github.com/mirrorlab/mirrorlab/scenarios/report"

// The run's results are package report's (pure: rendering, merging and
// judging a report need no runner); these names keep the lab's code, which
// moves to a package of its own, unchanged meanwhile.
type (
	Result         = report.Result
	Verdict        = report.Verdict
	Observations   = report.Observations
	Arrival        = report.Arrival
	TrafficResult  = report.TrafficResult
	ProgramResult  = report.ProgramResult
	SessionResult  = report.SessionResult
	DataPlaneStats = report.DataPlaneStats
	LabInfo        = report.LabInfo
	LabStatus      = report.LabStatus
	Phase          = report.Phase
)

// The phases of a run (report.PhaseBuild, …).
const (
	PhaseBuild     = report.PhaseBuild
	PhaseDataPlane = report.PhaseDataPlane
	PhasePrograms  = report.PhasePrograms
	PhaseTraffic   = report.PhaseTraffic
	PhaseSettle    = report.PhaseSettle
	PhaseCollect   = report.PhaseCollect
	PhaseTeardown  = report.PhaseTeardown
)

// StatusOf is report.StatusOf.
func StatusOf(r *Result) LabStatus { return report.StatusOf(r) }
