# The two supported entry points are `make demo` and `make test`; both install
# what is missing, configure and build first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all bootstrap configure build demo test test-fast bench fuzz format clean

all: build

bootstrap:
	@scripts/bootstrap.sh

configure: bootstrap
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCITADEL_WERROR=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD_DIR)/apps/citadel/citadel

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Everything but the `slow` label: for quick iteration.
test-fast: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE slow

bench: build
	@scripts/bench.sh $(BUILD_DIR)

# The libFuzzer targets (clang, ASan + UBSan) in their own build directory,
# each run for FUZZ_SECONDS from its seed corpus in fuzz/corpus/; not part
# of `make test`. Fails naming the reproducer when a target crashes.
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(JOBS) fuzz/run.sh

format:
	@find src apps tests bench fuzz -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
