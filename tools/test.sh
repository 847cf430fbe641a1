#!/bin/sh
# Run every test: install dependencies, build (normal and ASan+UBSan), run the unit and
# end-to-end suites, then the unit suite and the parser fuzzers under the sanitizers. Prints one summary line.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test.sh: the end-to-end tests need root" >&2; exit 1; }
tools/deps.sh
[ -d build ] || meson setup build >/dev/null
[ -d build-asan ] || CC=clang meson setup build-asan -Db_sanitize=address,undefined -Dfuzz=true \
	-Db_lundef=false >/dev/null
ninja -C build >/dev/null
ninja -C build-asan >/dev/null
status=0
meson test -C build --print-errorlogs "$@" || status=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --suite fuzz --print-errorlogs || status=1
# One closing line for both runs, from meson's machine-readable logs.
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        key = "OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
        counts[key] += 1
print(f"tests: {counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
exit $status
