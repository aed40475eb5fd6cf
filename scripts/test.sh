#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. Release build: unit tests, end-to-end tests against the real binary, a real
#      Prometheus scraping it, the conformance scenarios listed in tests/conformance/passing.txt.
#   2. Debian packages built from the tested binaries (lintian: no errors), installed
#      and run on a real node: a Debian 12 guest under QEMU with systemd, pure cgroup v2
#      and Slurm (tests/package/node-test.sh), beside the sanitizer build.
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build: unit tests and the conformance scenarios.
#   4. libFuzzer build (clang): every fuzz target runs a few seconds on its seed corpus.
#   5. Static binaries (scripts/build-static.sh): x86_64 runs the conformance scenarios
#      and end-to-end tests from an empty root (tests/static/empty_root.py); aarch64,
#      cross-built, runs the conformance scenarios under qemu-aarch64, also from an empty root.
#   6. Lint: clang-format and clang-tidy must be clean (run beside stage 5's tests).
# Ends with one summary line "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
bash scripts/install-deps.sh || exit 1

passed=0
failed=0
status=0

# Runs ctest in a build tree and adds its counts to the totals.
run_ctest() {
  local dir=$1
  shift
  local log
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure --timeout 600 "$@") 2>&1 | tee "$log"
  local line
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "test.sh: no ctest summary in $dir" >&2
    status=1
  else
    local f t
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + t - f))
    failed=$((failed + f))
    [ "$f" -eq 0 ] || status=1
  fi
  rm -f "$log"
}

# build <dir> "<targets>" <cmake args...>
build() {
  local dir=$1 targets=$2
  shift 2
  # shellcheck disable=SC2086 # targets is a space-separated list
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null && cmake --build "$dir" -j"$jobs" --target $targets
}

# One check outside ctest: counted as one test.
count() {
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "test.sh: failed: $*" >&2
    failed=$((failed + 1))
    status=1
    return 1
  fi
}

# The release and static x86_64 trees compile the same sources with the same flags:
# the second takes its objects from this run's compiler cache (fresh on every machine).
export CCACHE_DIR=$PWD/build/ccache CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=2G

echo "== release build (at ${SECONDS} s)"
# With the packages' compiler flags, so that the binaries tested are the ones packaged.
mapfile -t package_flags < <(bash scripts/package-flags.sh)
release_built=0
static_pid=""
if CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache \
     build build all -DCMAKE_BUILD_TYPE=Release "${package_flags[@]}"; then
  release_built=1
  # The static binaries build in the background, one job at a time and niced: the
  # release tests below leave a core mostly idle (they wait on servers and
  # daemons). Their tests run in the "static binaries" stage.
  (
    for arch in x86_64 aarch64; do
      CEEMS_BUILD_JOBS=1 CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache \
        nice -n 10 bash scripts/build-static.sh --arch "$arch" "build-static-$arch" >"build/static-$arch.log" 2>&1
      echo $? >"build/static-$arch.rc"
    done
  ) &
  static_pid=$!
  run_ctest build
else
  echo "test.sh: release build failed" >&2
  failed=$((failed + 1))
  status=1
fi

echo "== packages (lintian) and a real node in a guest (at ${SECONDS} s)"
packages_built=0
if [ "$release_built" -eq 1 ]; then
  count bash scripts/build-packages.sh --reuse-build build build/packages && packages_built=1
fi
guest_pid=""
guest_log=build/guest-node-test.log
if [ "$packages_built" -eq 1 ]; then
  # The guest runs on one core (QEMU TCG) for a few minutes: it goes on in the
  # background while the sanitizer tree builds, and is awaited before its tests run.
  mkdir -p build
  bash tests/package/node-test.sh build/packages build/guest >"$guest_log" 2>&1 &
  guest_pid=$!
else
  echo "test.sh: no packages to test in the guest" >&2
  failed=$((failed + 1))
  status=1
fi

# The guest's output, once it has finished, counted as one test.
await_guest() {
  [ -n "$guest_pid" ] || return 0
  local rc=0
  wait "$guest_pid" || rc=$?
  guest_pid=""
  echo "== guest node test (started after the packages; awaited at ${SECONDS} s)"
  cat "$guest_log"
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
  else
    echo "test.sh: failed: tests/package/node-test.sh (exit status $rc)" >&2
    failed=$((failed + 1))
    status=1
  fi
}

echo "== sanitizer build (ASan+UBSan) (at ${SECONDS} s)"
# The binaries are built too (never left stale there) and run the conformance scenarios.
# Line tables are all a sanitizer report needs; full debug info only slows the build.
if build build-asan "ceems_unit_tests ceems_exporter redfish_proxy" -DCMAKE_BUILD_TYPE=Debug -DCEEMS_SANITIZE=ON \
     -DCEEMS_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1; then
  await_guest
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan -L "unit|conformance"
else
  await_guest
  echo "test.sh: sanitizer build failed" >&2
  failed=$((failed + 1))
  status=1
fi

echo "== fuzz build (clang + libFuzzer) (at ${SECONDS} s)"
# -O1 and line tables: what libFuzzer's coverage and crash reports need, built faster
# than RelWithDebInfo's -O2 -g.
if CC=clang CXX=clang++ build build-fuzz ceems_fuzzers -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCEEMS_FUZZ=ON \
     -DCEEMS_BUILD_TESTS=OFF -DCEEMS_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
     "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"; then
  run_ctest build-fuzz -L fuzz -j "$jobs"  # one core per fuzzer
else
  echo "test.sh: fuzz build failed" >&2
  failed=$((failed + 1))
  status=1
fi

# Conformance from the empty root: the scenarios' count joins the totals.
conformance_in_root() {
  local log
  log=$(mktemp)
  python3 tests/static/empty_root.py "$@" -- ../shared/conformance/run --exporter {exporter} \
    --redfish-proxy {redfish_proxy} 2>&1 | tee "$log"
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "test.sh: no conformance summary from the empty root ($*)" >&2
    failed=$((failed + 1))
    status=1
    return
  fi
  p=${line%% passed*}
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$f" -eq 0 ] || status=1
}

# The whole e2e suite (Debian's /usr/bin/python3, as ctest runs it) against the
# static binaries in the empty root; each test counts.
e2e_in_root() {
  local log ran skipped bad
  log=$(mktemp)
  python3 tests/static/empty_root.py --bin "$1" --share tests -- \
    /usr/bin/python3 -m unittest discover -s tests/e2e -p 'test_*.py' 2>&1 | tee "$log" | tail -5
  ran=$(sed -nE 's/^Ran ([0-9]+) tests? .*/\1/p' "$log" | tail -1)
  skipped=$(sed -nE 's/.*skipped=([0-9]+).*/\1/p' "$log" | tail -1)
  bad=$(grep -cE '^(FAIL|ERROR):' "$log")
  if [ -z "$ran" ]; then
    cat "$log"
    echo "test.sh: the e2e suite did not run in the empty root" >&2
    bad=1 ran=1
  elif [ "$bad" -gt 0 ]; then
    grep -E '^(FAIL|ERROR):' "$log" >&2
  fi
  rm -f "$log"
  passed=$((passed + ran - ${skipped:-0} - bad))
  failed=$((failed + bad))
  [ "$bad" -eq 0 ] || status=1
}

# Lint (CPU-bound) runs beside the static binaries' tests, which mostly wait on
# the programs they start; its output is shown after them.
lint_log=build/lint.log
bash scripts/lint.sh build >"$lint_log" 2>&1 &
lint_pid=$!

echo "== static binaries (at ${SECONDS} s)"
if [ ! -x ../shared/conformance/run ]; then
  echo "test.sh: ../shared/conformance is not there: the static binaries are built and checked only"
fi
[ -z "$static_pid" ] || wait "$static_pid"
for arch in x86_64 aarch64; do
  # Started after the release build (above); its log tells what happened.
  [ -f "build/static-$arch.log" ] && grep -v '^\[' "build/static-$arch.log" | grep -v 'warning: Using\|in function' | tail -8
  if [ "$(cat "build/static-$arch.rc" 2>/dev/null)" != 0 ]; then
    echo "test.sh: static $arch build failed (build/static-$arch.log)" >&2
    failed=$((failed + 1))
    status=1
    continue
  fi
  passed=$((passed + 1))  # built, and checked: no NEEDED entry, no interpreter
  [ -x ../shared/conformance/run ] || continue
  if [ "$arch" = x86_64 ]; then
    conformance_in_root --bin "build-static-$arch/bin" --check-arch x86_64
    echo "== end-to-end tests of the static x86_64 binaries from the empty root (at ${SECONDS} s)"
    e2e_in_root "build-static-$arch/bin"
  else
    conformance_in_root --bin "build-static-$arch/bin" --check-arch aarch64 --emulator /usr/bin/qemu-aarch64-static
  fi
done

echo "== lint (started before the static binaries' tests; awaited at ${SECONDS} s)"
lint_rc=0
wait "$lint_pid" || lint_rc=$?
cat "$lint_log"
if [ "$lint_rc" -eq 0 ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi

echo "== done (at ${SECONDS} s)"
echo "tests: ${passed} passed, ${failed} failed"
exit $status
