# zkraft build, run and test entry points. `make test` is what CI runs.

GO       ?= go
VERSION  ?= $(shell git describe --tags --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# The race detector stays on for the whole suite while a full run fits well
# within the 20 minute timeout on 2 cores; `make test RACE=` turns it off.
RACE     ?= -race
FUZZTIME ?= 10s

.PHONY: all build run test test-go test-compat lint fuzz clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/zkraft ./cmd/zkraft

# A standalone server on the embedded defaults: client port 2181, data in
# ./zkraft-data. Ctrl-C stops it.
run: build
	bin/zkraft server

# Both halves run even when the first fails, so one CI run reports both.
test:
	@rc=0; \
	$(MAKE) --no-print-directory test-go || rc=1; \
	$(MAKE) --no-print-directory test-compat || rc=1; \
	exit $$rc

# -count=1: never a cached result. test/cluster and test/deploy build the
# zkraft binary themselves, so Go's test cache, which sees only their own
# sources, would report an old pass after a change to the server.
test-go:
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 -timeout 20m ./...

# Real clients from Debian packages (zkCli, kazoo, the C client, Curator,
# ...) against zkraft, one fresh server per suite; see test/compat/README.md.
# `make test-compat ZKRAFT_TARGET=zookeeper` runs them against Apache
# ZooKeeper 3.8 instead, which must pass them too.
ZKRAFT_TARGET ?= zkraft
test-compat: build
	ZKRAFT_TARGET=$(ZKRAFT_TARGET) ZKRAFT_BIN=$(CURDIR)/bin/zkraft test/compat/run.sh

lint:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt -l lists files that need formatting:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...

# Runs every Fuzz* target of every package for FUZZTIME each. Targets are
# found by `go test -list`, so new ones join without editing this file.
fuzz:
	@set -e; \
	for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' $$pkg); \
		for name in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$name"; \
			$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin
