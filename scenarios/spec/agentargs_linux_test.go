package spec

import "testing"

func TestAgentConfig(t *testing.T) {
	cfg, err := AgentConfig([]string{"-destination", "http://10.0.0.36", "-filter-request-port", "80,8080", "-vni", "1,42", "-ring-size", "8M"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Destination != "http://10.0.0.36" || len(cfg.Ports) != 2 || cfg.Ports[1] != 8080 ||
		len(cfg.VNIs) != 2 || cfg.RingBytes != 8<<20 || cfg.Percentage != 100 || cfg.Listen != ":4789" {
		t.Fatalf("config %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"-nope"}, {"-percentage", "0"}, {"-filter-request-port", "0"}, {"stray"}} {
		if _, err := AgentConfig(bad); err == nil {
			t.Errorf("AgentConfig(%q) accepted", bad)
		}
	}
}
