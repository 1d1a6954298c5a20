#!/bin/sh
# fuzz.sh [SECONDS] - `make fuzz`: run every target in tests/fuzz/ for SECONDS (default
# 60) one after the other. New inputs accumulate in build/fuzz/corpus/<target>/ (not
# committed; minimise and copy interesting ones into tests/fuzz/corpus/ by hand),
# crashes land in build/fuzz/artifacts/. Prints a table and writes it to
# build/fuzz/summary.txt. Exit status 1 if any target found something.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$(dirname "$here")")
secs=${1:-60}
out=$repo/build/fuzz
targets=$(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
failed=0
: >"$out/summary.txt"
echo "# make fuzz FUZZ_SECONDS=$secs, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores" | tee -a "$out/summary.txt"
for t in $targets; do
	line=$("$here/run1.sh" "$t" "$secs" "$out") || failed=1
	echo "$line" | tee -a "$out/summary.txt"
	case $line in *status=ok*) ;; *) grep -E "CHECK failed|ERROR:|runtime error|Test unit written" "$out/$t.log" | head -5 ;; esac
done
exit $failed
