#!/bin/sh
# t_fuzz.sh - every libFuzzer target in tests/fuzz/ for a few seconds on its seed corpus
# (FUZZ_CHECK_SECONDS each, default 3): the committed seeds and regression inputs run
# first, then fresh mutations. TAP; `make check` runs it. New inputs and any crash go
# to a temporary directory (kept and named in the diagnostics on failure).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$(dirname "$here")")
secs=${FUZZ_CHECK_SECONDS:-3}
cc=${FUZZ_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "1..0 # SKIP $cc not installed (scripts/install-deps installs clang)"
	exit 0
fi
targets=$(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
n=$(echo "$targets" | wc -w)
echo "1..$((n + 1))"
if out=$(make -s -C "$repo" fuzz-bins 2>&1); then
	echo "ok 1 - fuzz targets build (clang -fsanitize=fuzzer,address,undefined)"
else
	echo "not ok 1 - fuzz targets build"
	echo "$out" | tail -30 | sed 's/^/# /'
	exit 1
fi
tmp=$(mktemp -d /tmp/wsinetd-fuzz-check.XXXXXX)
i=1 failed=0
for t in $targets; do
	i=$((i + 1))
	if line=$("$here/run1.sh" "$t" "$secs" "$tmp"); then
		echo "ok $i - fuzz_$t: $line"
	else
		failed=1
		echo "not ok $i - fuzz_$t: $line"
		grep -E "CHECK failed|ERROR:|runtime error|SUMMARY|Test unit written|Base64:" \
			"$tmp/$t.log" | head -20 | sed 's/^/# /'
		echo "# full log: $tmp/$t.log"
	fi
done
[ $failed = 0 ] && rm -rf "$tmp"
exit $failed
