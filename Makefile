# Switchboard: `make run` starts a development server, `make test` runs every test.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT_FLAGS ?=
FUZZ_SECONDS ?= 60
VENV := .venv-test

.PHONY: run build release test unit interop fuzz fuzz-short bench bench-forwarding bench-recording bench-signalling soak clean deps test-deps

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

release: deps
	swift build -c release --product switchboard $(SWIFT_FLAGS)

## Build a release binary and run the server with embedded development defaults.
run: release
	.build/release/switchboard serve --dev

build: deps
	swift build --build-tests $(SWIFT_FLAGS)

## Everything: unit suites, a short libFuzzer pass per parser, interop with real WebRTC peers.
test: test-deps build
	swift test --skip-build
	$(MAKE) fuzz-short
	$(MAKE) interop

unit: build
	swift test --skip-build

interop: test-deps
	@test -x .build/debug/switchboard || swift build --product switchboard $(SWIFT_FLAGS)
	cd Tests/interop && timeout 900 ../../$(VENV)/bin/python -m pytest -v -p no:cacheprovider

fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-short: deps
	scripts/fuzz.sh 10

bench: deps
	cd Benchmarks && swift package --disable-sandbox benchmark

## Full forwarding path over loopback (SRTP in, route, SRTP out to N); see docs/benchmarks.md.
bench-forwarding: deps
	swift build -c release --product ForwardingBenchmark $(SWIFT_FLAGS)
	.build/release/ForwardingBenchmark --subscribers 1,10,100,500 --out-rate 50000 --seconds 5 --pin --max

## 100 concurrent recordings, and forwarding latency with and without recording taps.
bench-recording: deps
	swift build -c release --product RecordingBenchmark $(SWIFT_FLAGS)
	.build/release/RecordingBenchmark --repeat 5 --forward-seconds 8

## Participant joined -> others notified over /rtc (release server, Python clients).
bench-signalling: test-deps release
	$(VENV)/bin/python Benchmarks/signalling/join_notify.py --binary .build/release/switchboard

clean:
	rm -rf .build .build-fuzz Benchmarks/.build $(VENV)

## Long run watching the server for leaks: 10 rooms x 4 participants, 30 min (SOAK_MINUTES=...).
soak: release
	python3 Benchmarks/soak/soak.py
