package agent

import (
	"context"
	"net"
	"time"
)

// dialer returns a DialContext that creates its sockets through
// InNamespace. Name resolution (pure Go resolver) dials its DNS sockets the
// same way, and fast fallback is off so no dial runs on another goroutine
// (another thread, outside the namespace).
func (c *Config) dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, FallbackDelay: -1}
	if c.InNamespace == nil {
		return d.DialContext
	}
	plain := &net.Dialer{Timeout: timeout}
	d.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		err := c.InNamespace(func() error {
			var err error
			conn, err = plain.DialContext(ctx, network, addr)
			return err
		})
		return conn, err
	}}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		err := c.InNamespace(func() error {
			var err error
			conn, err = d.DialContext(ctx, network, addr)
			return err
		})
		return conn, err
	}
}
