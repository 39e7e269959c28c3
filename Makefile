# The root Makefile: thin wrappers over CMake and CTest.
#   make demo      install what is missing, build, count the words of the sample
#                  (rill run examples/wordcount.yaml)
#   make test      build and run every test
#   make sanitize  the test suite under ASan+UBSan, then under TSan
#   make bench     build and run the benchmarks (build/bench/results.json)
#   make crashtest kill checkpointed runs 100 times and resume them
#   make crashtest-mpi  the same under mpirun (2 ranks, resumed on 2, 1, 3), 30 kills
#   make proptest  1000 more random change sequences of incremental compiles (seeds
#                  201-1200; `make test` runs 1-200), incremental == full after each step
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps deps-test build demo test sanitize asan tsan bench valgrind fuzz crashtest crashtest-mpi proptest clean

all: build

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRILL_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/src/cli/rill run examples/wordcount.yaml -s text.files=$(BUILD)/data/sample.txt \
	  > $(BUILD)/wordcount.tsv
	@echo "the 20 most frequent words ($(BUILD)/wordcount.tsv has them all):"
	@sort -t '	' -k2,2nr -k1,1 $(BUILD)/wordcount.tsv | head -20

test: deps-test build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: deps-test
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRILL_WERROR=ON -DRILL_SANITIZE=address,undefined -DRILL_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE mpi
	@# Open MPI keeps memory until exit by design: leaks are checked without it.
	cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -L mpi

tsan: deps-test
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DRILL_WERROR=ON -DRILL_SANITIZE=thread -DRILL_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@# the property test: 50 sequences (TSan is 5 to 15 times slower)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 RILL_PROPTEST_SEQUENCES=50 ctest --output-on-failure -j $(JOBS) -LE mpi
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan-mpi.supp" \
	  ctest --output-on-failure -L mpi

sanitize: asan tsan

valgrind: deps-test build
	@# layers*: a Python script; test_misuse: each case a forked child that may leak or
	@# crash on purpose; forked children that abort on purpose (test_util) are silent.
	@# the property test: 10 sequences under memcheck (each takes a second or two there).
	@# tests/valgrind.supp: memory a forked child inherits and may not free.
	cd $(BUILD) && RILL_PROPTEST_SEQUENCES=10 ctest --output-on-failure -E 'example|layers|test_misuse' -LE mpi \
	  --overwrite MemoryCheckCommand=/usr/bin/valgrind \
	  --overwrite MemoryCheckCommandOptions="--leak-check=full --error-exitcode=1 --child-silent-after-fork=yes \
	  --suppressions=$(CURDIR)/tests/valgrind.supp --num-callers=40" -T memcheck

bench: build
	$(BUILD)/bench/rill_bench $(BUILD)/bench

# kill -9 at 100 seeded random moments of checkpointed runs; prints survived N/100
crashtest: deps-test build
	@$(BUILD)/tests/test_crash 100 > $(BUILD)/crashtest.log 2>&1; rc=$$?; \
	  grep -E 'differs|FAILED' $(BUILD)/crashtest.log; grep survived $(BUILD)/crashtest.log; exit $$rc

crashtest-mpi: build
	@$(BUILD)/tests/test_crash 30 --mpi > $(BUILD)/crashtest-mpi.log 2>&1; rc=$$?; \
	  grep -E 'differs|FAILED' $(BUILD)/crashtest-mpi.log; grep survived $(BUILD)/crashtest-mpi.log; exit $$rc

# The property test of incremental compiles beyond the 200 sequences of `make test`:
# PROPTEST_SEQUENCES more from seed 201 (a failure prints its seed and how to replay it).
PROPTEST_SEQUENCES ?= 1000
proptest: deps-test build
	RILL_PROPTEST_FIRST=201 RILL_PROPTEST_SEQUENCES=$(PROPTEST_SEQUENCES) $(BUILD)/tests/test_compile_prop

# libFuzzer targets (clang), each run for FUZZ_SECONDS over its corpus.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/deps.sh --fuzz
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DRILL_WERROR=ON -DRILL_BUILD_FUZZERS=ON \
	  -DRILL_BUILD_TESTS=OFF -DRILL_BUILD_BENCH=OFF -DRILL_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	for t in tuple reader checkpoint serial yaml spec fingerprint; do mkdir -p build-fuzz/corpus/$$t && \
	  build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; done

clean:
	rm -rf $(BUILD) build-asan build-tsan
