package main

import (
	"log/slog"
	"testing"

	"github.com/zkraft/zkraft/config"
)

func TestBuildAdminOptions(t *testing.T) {
	set := func(t *testing.T, kv ...string) *config.Config {
		t.Helper()
		c := config.Default()
		for i := 0; i < len(kv); i += 2 {
			if err := c.Set(kv[i], kv[i+1], "test"); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	log := slog.New(slog.DiscardHandler)

	o, err := buildAdminOptions(set(t), log)
	if err != nil || o.Addr != "0.0.0.0:8080" || o.CommandURL != "/commands" || o.MetricsAddr != "" {
		t.Errorf("defaults: %+v, %v; want ZooKeeper's 0.0.0.0:8080 /commands and no metrics listener", o, err)
	}

	o, err = buildAdminOptions(set(t, "admin.enableServer", "false"), log)
	if err != nil || o.Addr != "" {
		t.Errorf("admin.enableServer=false: Addr %q, %v; want none", o.Addr, err)
	}

	o, err = buildAdminOptions(set(t, "admin.serverAddress", "127.0.0.1", "admin.serverPort", "9999",
		"admin.commandURL", "/cmds"), log)
	if err != nil || o.Addr != "127.0.0.1:9999" || o.CommandURL != "/cmds" {
		t.Errorf("custom address: %+v, %v", o, err)
	}

	o, err = buildAdminOptions(set(t, "metricsProvider.className", prometheusProvider), log)
	if err != nil || o.MetricsAddr != "0.0.0.0:7000" {
		t.Errorf("Prometheus provider: MetricsAddr %q, %v; want ZooKeeper's default 0.0.0.0:7000", o.MetricsAddr, err)
	}
	o, err = buildAdminOptions(set(t, "metricsProvider.className", prometheusProvider,
		"metricsProvider.httpHost", "127.0.0.1", "metricsProvider.httpPort", "7001"), log)
	if err != nil || o.MetricsAddr != "127.0.0.1:7001" {
		t.Errorf("Prometheus provider on 127.0.0.1:7001: MetricsAddr %q, %v", o.MetricsAddr, err)
	}
	if _, err := buildAdminOptions(set(t, "metricsProvider.className", prometheusProvider,
		"metricsProvider.httpPort", "seven"), log); err == nil {
		t.Error("metricsProvider.httpPort=seven accepted")
	}
}
