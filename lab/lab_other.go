//go:build !linux

package lab

import "errors"

// errNotLinux: the emulated VPC is made of Linux network namespaces.
var errNotLinux = errors.New("needs Linux (network namespaces, veth, AF_PACKET); use `mirrorlab explain` here")

// Supported reports whether this system can build a lab: never, here.
func Supported() error { return errNotLinux }

// Lab is a running lab; there is none here.
type Lab struct{}

// Close has nothing to take down.
func (*Lab) Close() error { return nil }
