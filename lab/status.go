package lab

import "github.com/mirrorlab/mirrorlab/internal/labstatus"

// The phases of Build, as Config.Phase receives them.
const (
	PhaseBuild     = labstatus.PhaseBuild
	PhaseDataPlane = labstatus.PhaseDataPlane
)

// The lab's descriptions and counters are package labstatus's plain types,
// so that reports need not import lab (Status's parts keep their labstatus
// names).
type (
	Info   = labstatus.Info
	Status = labstatus.Status
)
