# Two commands do all the set-up: `make demo` and `make test` (see README.md).
JOBS      ?= 2
# Integration tests mostly wait on their processes: ctest runs one more than there are cores.
TEST_JOBS ?= 3
BUILD     ?= build
ASAN      ?= build-asan
FUZZ      ?= build-fuzz
CMAKE_GEN := -G Ninja
# ccache where present (a warm cache makes rebuilds cheap; a machine without it builds cold).
CCACHE    := $(shell command -v ccache 2>/dev/null)
ifneq ($(CCACHE),)
CMAKE_GEN += -DCMAKE_C_COMPILER_LAUNCHER=$(CCACHE) -DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE)
endif

.PHONY: all deps configure build build-integration asan test fuzz bench chaos format format-check clean

all: build

deps:
	@scripts/install-deps.sh

# The normal tree: -O2 with line tables only (-g1), as the sanitizer tree. Backtraces keep
# file:line, and each file compiles with ~30% less CPU than with full -g (README.md, "Build and
# test time"; the fuzz tree, clang, showed no difference: 108 vs 120 CPU s). `make build
# DEBUG_INFO=-g` for gdb's variables; the .deb is stripped either way.
DEBUG_INFO ?= -g1
RELEASE_FLAGS := -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 $(DEBUG_INFO) -DNDEBUG" \
	-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $(DEBUG_INFO) -DNDEBUG"

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(RELEASE_FLAGS) >/dev/null

# Everything, unit tests included (they are not in the tree's default target: `make test` runs
# them in the sanitizer tree only).
build: configure
	@cmake --build $(BUILD) -j$(JOBS) --target all hubgate_unit_tests

# The normal tree's default target: the daemon, hubsim, plugins, the packages' parts and the
# integration tests; what `make test`, `make demo`, `make deb`, `make bench` and `make chaos` need.
build-integration: configure
	@cmake --build $(BUILD) -j$(JOBS)

# The sanitizer tree builds the unit tests only. -g1 keeps the line tables ASan/UBSan reports
# need (file:line in every frame) and compiles ~15% faster than full -g.
asan: deps
	@cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DHUBGATE_SANITIZE=ON \
		-DCMAKE_C_FLAGS_DEBUG=-g1 -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
	@cmake --build $(ASAN) -j$(JOBS) --target hubgate_unit_tests

# Fuzz targets (clang + libFuzzer), each run for a bounded time.
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBGATE_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ) -j$(JOBS)
	@ctest --test-dir $(FUZZ) -L fuzz -j$(JOBS) --output-on-failure

# Every test, each once: the integration and style tests in the normal tree, and beside them, at
# the lowest priority, the sanitizer tree (its build, then every unit test) and bounded fuzzing.
# The integration tests mostly wait on their processes (they use ~40% of the two cores): the
# builds beside them take only the CPU time they leave, and all of it once they are done. The
# normal tree's unit tests are the same sources: `make build` and `ctest --test-dir build` run
# them there too. The logs of the two jobs beside are printed after the integration tests'.
SANITIZER_LOG := $(BUILD)/sanitizer-beside-tests.log
FUZZ_LOG      := $(BUILD)/fuzz-beside-tests.log
test: build-integration
	@nice -n 19 sh -c '$(MAKE) --no-print-directory asan && \
		ctest --test-dir $(ASAN) -L unit -j$(JOBS) --output-on-failure' \
		> $(SANITIZER_LOG) 2>&1 & sanitizer_pid=$$!; \
	fuzz_pid=; \
	if [ -f fuzz/CMakeLists.txt ]; then \
		nice -n 19 $(MAKE) --no-print-directory fuzz > $(FUZZ_LOG) 2>&1 & fuzz_pid=$$!; \
	fi; \
	integration=0; ctest --test-dir $(BUILD) -L 'integration|style' -j$(TEST_JOBS) \
		--output-on-failure || integration=$$?; \
	sanitizer=0; wait $$sanitizer_pid || sanitizer=$$?; \
	echo "--- sanitizer tree and unit tests (beside the integration tests):"; \
	cat $(SANITIZER_LOG); \
	fuzzing=0; \
	if [ -n "$$fuzz_pid" ]; then \
		wait $$fuzz_pid || fuzzing=$$?; \
		echo "--- fuzzing (beside the integration tests):"; cat $(FUZZ_LOG); \
	fi; \
	echo "make test: integration $$integration, sanitizer tree and unit tests $$sanitizer, fuzzing $$fuzzing (0: passed)"; \
	[ $$integration -eq 0 ] && [ $$sanitizer -eq 0 ] && [ $$fuzzing -eq 0 ]

# Benchmarks (never part of `make test`, so the default target leaves them out): all, or
# `make bench BENCH='forwarding|sessions'`.
bench: build-integration
	@cmake --build $(BUILD) -j$(JOBS) --target hubgate_benchmarks
	@bench/run $(BUILD) $(BENCH)

# The chaos soak (never part of `make test`, which runs its 60-second version `chaos_60s`):
# faults on a seeded schedule for CHAOS_SECONDS over CHAOS_DEVICES legacy devices, then the
# invariant table, printed and written to $(BUILD)/chaos-results.txt. CHAOS_SEED replays a run
# (default: a random seed, printed). Fails when any invariant row has a violation.
CHAOS_SECONDS ?= 1200
CHAOS_DEVICES ?= 1000
chaos: build-integration
	@CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_DEVICES=$(CHAOS_DEVICES) $(BUILD)/bin/hubgate-chaos \
		--results $(BUILD)/chaos-results.txt --require all

format:
	@git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)

# A Debian package of the daemon, plugins, plugin SDK, systemd units and example config.
.PHONY: deb
deb: build-integration
	@cd $(BUILD) && cpack -G DEB

# The main job on its embedded defaults: local mosquitto + hubsim + hubgate + simulated devices.
.PHONY: demo
demo: build-integration
	@scripts/demo.sh $(BUILD)

# hubgate's package under a real systemd (PID 1 of a debootstrap'ed container) against hubsim:
# start, reload, watchdog, stop and systemd-analyze security (scripts/systemd-container-check.sh,
# docs/systemd-check.md). Needs root and Debian's mirrors; never part of `make test`.
.PHONY: systemd-check
systemd-check: deb
	@scripts/systemd-container-check.sh $(BUILD)
