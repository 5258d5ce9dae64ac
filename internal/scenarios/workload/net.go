package workload

import (
	"context"
	"net"
)

// Net creates sockets for a workload: in the runner, inside an instance's
// network namespace.
type Net struct {
	// Dial connects like net.Dialer.DialContext.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Listen listens like net.Listen.
	Listen func(network, addr string) (net.Listener, error)
	// ListenPacket opens a packet socket like net.ListenPacket ("ip4:icmp"
	// for ICMP).
	ListenPacket func(network, addr string) (net.PacketConn, error)
}
