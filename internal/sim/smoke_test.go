package sim

import (
	"io"
	"net"
	"testing"
)

func TestPrivilegedSmokeTCP(t *testing.T) {
	lab := realize(t, walkthrough())
	srv := lab.Instance("testsrv")
	var ln net.Listener
	if err := srv.Run(func() (err error) { ln, err = net.Listen("tcp", srv.ENI("eth0").IP.String()+":8080"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(c, c)
			c.Close()
		}
	}()
	var c net.Conn
	if err := lab.Instance("client").Run(func() (err error) { c, err = net.Dial("tcp", ln.Addr().String()); return }); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "hello" {
		t.Fatalf("echo: %q %v", b, err)
	}
	c.Close()
}
