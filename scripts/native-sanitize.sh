#!/usr/bin/env bash
# Build the compiled CAP module (src/yingji/warnings/cap/_native.c) with AddressSanitizer and
# UndefinedBehaviorSanitizer, run the CAP tests against it, then build it again as `make install` does.
# Any memory error or undefined behaviour in the module stops the run with a report. Not part of
# `make test` (it rebuilds the module in place); run it after changing _native.c.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
rebuild() { rm -rf build; "$py" setup.py -q build_ext --inplace --force "$@" >/dev/null 2>&1; local rc=$?; rm -rf build; return $rc; }
CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -g" LDFLAGS="-fsanitize=address,undefined" rebuild \
  || { echo "!! the sanitized build failed" >&2; exit 1; }
nm -D src/yingji/warnings/cap/_native.*.so | grep -q __asan_init || { echo "!! the module is not sanitized" >&2; exit 1; }
echo "== CAP tests against the sanitized module"
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$py" -m pytest -q -p no:warnings tests/warnings/test_cap_native.py tests/warnings/test_cap_fast.py tests/warnings/test_cap.py
status=$?
rebuild || { echo "!! the normal build failed" >&2; exit 1; }
[ $status -ne 0 ] && echo "!! CAP tests failed under the sanitizers (exit $status)" >&2
exit $status
