package lab

import (
	"log/slog"

	"github.com/mirrorlab/mirrorlab/cloudmock"
	"github.com/mirrorlab/mirrorlab/internal/sim"
)

// Config describes a lab: a plain description, no OS state.
type Config struct {
	// Name and File name the lab for status (a scenario's name and file).
	Name, File string
	// Topology is the emulated network.
	Topology sim.Topology
	// VXLAN are kernel VXLAN devices to add inside instances (as the
	// reference walk-through's adapter has).
	VXLAN []VXLANDevice
	// Mirror starts the mirror service at Build; nil: none until
	// Apply(StartMirror{...}).
	Mirror *Mirror
	// RunID and StateDir are sim's (empty: a random id, /run/mirrorlab).
	RunID, StateDir string
	// Logger receives the data plane's logs (nil: none).
	Logger *slog.Logger
	// Progress receives one line per step (nil: none).
	Progress func(format string, args ...any)
	// Phase runs each phase of Build (PhaseBuild, PhaseDataPlane), to time
	// it; nil runs it as it is.
	Phase func(name string, step func() error) error
	// Started is called inside PhaseDataPlane once the mirror service runs
	// (the runner's captures); an error fails Build.
	Started func(*Lab) error
}

// VXLANDevice is `ip link add NAME type vxlan id VNI dev DEV dstport 4789`
// inside an instance.
type VXLANDevice struct {
	Instance, Dev, Name string
	VNI                 uint32
}

// Mirror is how the lab's mirror service runs.
type Mirror struct {
	// Spec is the mirror configuration; its ENIs are found in the lab by
	// address.
	Spec cloudmock.Spec
	// ModelOptions build the model (cloudmock.WithSeed: stable VNIs).
	ModelOptions []cloudmock.Option
	// AllENIs captures on every ENI, so that a session created later by
	// Apply(SetSpec{...}) on any of them mirrors (a served lab).
	AllENIs bool
	// UserSpaceOnly decides every packet in user space (no kernel path).
	UserSpaceOnly bool
	// PcapDir receives a pcapng per target (empty: none).
	PcapDir string
	// HealthCheckPort is the load balancers' health check port (0: the
	// data plane's default).
	HealthCheckPort int
	// Unhealthy are load balancer targets that start unhealthy.
	Unhealthy []Target
}

// Target is a load balancer's registered target, by the model's ids.
type Target struct{ LoadBalancer, ENI string }
