#!/bin/sh
# run1.sh TARGET SECONDS OUTDIR - run one libFuzzer target (build/fuzz/fuzz_TARGET) for
# SECONDS on its committed seeds (tests/fuzz/corpus/TARGET, read only) plus OUTDIR/corpus
# (where new inputs go), crashes to OUTDIR/artifacts/. Prints one summary line
#   TARGET runs=N execs_per_sec=N seeds=N corpus=N status=ok|crash|error
# and exits 0 only when nothing was found. The full log is OUTDIR/TARGET.log.
# Used by t_fuzz.sh (make check) and fuzz.sh (make fuzz).
set -u
t=$1 secs=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$(dirname "$here")")
bin=$repo/build/fuzz/fuzz_$t
seeds=$here/corpus/$t
mkdir -p "$out/corpus/$t" "$out/artifacts" "$seeds"
log=$out/$t.log
# config.c keeps what it parsed for the process lifetime and its error paths leave
# that behind on purpose (the process exits 2): no leak detection for that target.
leaks=1
[ "$t" = config ] && leaks=0
ASAN_OPTIONS="detect_leaks=$leaks:abort_on_error=0:allocator_may_return_null=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=1536 \
	-max_len=65536 -detect_leaks=$leaks -artifact_prefix="$out/artifacts/$t-" \
	"$out/corpus/$t" "$seeds" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
nseeds=$(find "$seeds" -type f | wc -l)
ncorp=$(find "$out/corpus/$t" -type f | wc -l)
status=ok
if [ $rc -ne 0 ]; then
	if grep -q "Test unit written to" "$log"; then status=crash; else status=error; fi
fi
echo "$t runs=${runs:-0} execs_per_sec=${eps:-0} seeds=$nseeds corpus=$ncorp status=$status"
[ $status = ok ]
