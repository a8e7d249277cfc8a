# Thin wrapper over CMake. `make test` installs what it needs, builds, tests.
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure test demo install bench clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@.ci/install-deps

configure: $(BUILD)/CMakeCache.txt
$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

test: deps
	$(MAKE) all
	cd $(BUILD) && ctest --output-on-failure -j 2

demo: deps
	$(MAKE) all
	@scenarios/demo.sh $(BUILD)

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
