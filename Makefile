# Thin wrapper over CMake. Every target that builds first installs missing
# Debian packages (.ci/install-deps), so a fresh machine needs nothing else.
BUILD    ?= build
PREFIX   ?= /usr/local
JOBS     ?= $(shell nproc)
DURATION ?= 10m
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

# What `make test` needs beyond the build: the shells the completions are
# tested in, lintian and dpkg-dev for the package, npm for taplo (the schema)
# and toxiproxy-node-client, curl for the control API and the http suite,
# iperf3, dnsmasq and dig for the UDP proxies' oracles, nginx and wrk as the
# real HTTP referees of the http suite.
TEST_PACKAGES ?= bash-completion zsh fish lintian dpkg-dev file npm curl iperf3 dnsmasq-base \
                 bind9-dnsutils nginx-light wrk

.PHONY: all deps test-deps configure test test-sanitize demo install deb bench fuzz soak api-load clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@.ci/install-deps

test-deps:
	@.ci/install-deps $(TEST_PACKAGES)

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

# Builds, then runs every test (unit, end-to-end, examples, man pages,
# completions, the schema against taplo, the Debian package).
test: test-deps all
	cd $(BUILD) && ctest --output-on-failure -j 2

# The same suite under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer.
test-sanitize: test-deps
	@test -f $(BUILD)-sanitize/CMakeCache.txt || \
	  cmake -S . -B $(BUILD)-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJINX_SANITIZE=ON
	cmake --build $(BUILD)-sanitize -j $(JOBS)
	cd $(BUILD)-sanitize && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 2

demo: all
	@scenarios/demo.sh $(BUILD)

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package, in $(BUILD)/packages: jinx_VERSION-1_ARCH.deb.
deb: all
	@.ci/install-deps dpkg-dev file
	cd $(BUILD) && cpack -G DEB -B packages

# jinx against a direct connection, socat and haproxy, in one run; first the
# bench tool's own smoke test (every relay once, bulk only, short runs). Then
# UDP: datagrams/s beside direct and socat, memory per idle flow. Then the
# control API: relay throughput with 100 API requests/s against without,
# and API requests/s on one keep-alive connection. Then an HTTP proxy
# against haproxy in mode http (wrk to nginx, 6 rotating rounds of 5 s).
bench: all
	@.ci/install-deps socat haproxy nginx wrk
	$(BUILD)/tests/bench/jinx_bench --quick --only bulk
	$(BUILD)/tests/bench/jinx_bench
	$(BUILD)/tests/bench/jinx_bench udp
	$(BUILD)/tests/bench/jinx_bench api
	tests/bench/http_bench.sh $(BUILD)/jinx

# libFuzzer on the loader, the unit parsers, the schedule expander and the
# control API's HTTP server (fuzz_api_request), each for
# FUZZ_SECONDS; seeds from scenarios/ and tests/bad-scenarios/. A crash fails
# the target and leaves its input in $(BUILD)-fuzz/artifacts/.
fuzz:
	@.ci/install-deps clang libclang-rt-14-dev
	@test -f $(BUILD)-fuzz/CMakeCache.txt || \
	  CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJINX_FUZZ=ON
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_loader fuzz_units fuzz_schedule fuzz_http fuzz_api_request
	@tests/fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

# jinx under sustained load: 1,000 connections through 4 proxies while every
# toxic type toggles every second, with checksums, fd, RSS and CPU checks
# (tests/soak). Not part of `make test`, which runs a 30-second version.
soak: all
	$(BUILD)/tests/soak/jinx_soak --duration $(DURATION) --connections 1000 --proxies 4

# The control API under load (issue 12): 1,000 connections relaying paced
# bulk data, checked byte by byte, while a toxic is added and removed 1,000
# times through the API; every request answered, p99 <= 10 ms (best of up to
# 3 trials), no descriptor or memory left behind (tests/api/load.cc; the
# ctest api_load in `make test`).
api-load: all
	$(BUILD)/tests/jinx_api_load

clean:
	rm -rf $(BUILD) $(BUILD)-sanitize $(BUILD)-fuzz
