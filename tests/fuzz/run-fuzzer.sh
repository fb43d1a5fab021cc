#!/bin/sh
# Runs one libFuzzer target for a while on a copy of its seed corpus and
# says how it went; called by `make fuzz` (tests/fuzz/Makefile.inc).
#
# usage: run-fuzzer.sh BINARY SEEDS WORKDIR SECONDS
#
# WORKDIR keeps the growing corpus (WORKDIR/corpus), what libFuzzer found
# (WORKDIR/artifacts: crash-*, leak-*, timeout-*, oom-*) and its output
# (WORKDIR/log).  Options for libFuzzer come from BINARY's source
# directory: NAME.options (one flag a line, `#` comments) and NAME.dict
# when there is one.  Prints one line per run; exits 1 when libFuzzer
# found a crash, a leak or a timeout, or did not run.
set -u

bin=$1 seeds=$2 work=$3 seconds=$4
name=$(basename "$bin")
here=$(dirname "$0")

mkdir -p "$work/corpus" "$work/artifacts" || exit 1
rm -f "$work/log"
# seeds are copied over what earlier runs found, never the other way;
# writable, for a source tree that is not (distcheck, a package build)
cp -f "$seeds"/* "$work/corpus/" || exit 1
chmod u+w "$work/corpus"/* || exit 1

set --
if [ -f "$here/$name.options" ]; then
	# shellcheck disable=SC2046
	set -- $(sed -e 's/#.*//' "$here/$name.options")
fi
[ -f "$here/$name.dict" ] && set -- "$@" "-dict=$here/$name.dict"

before=$(ls "$work/artifacts" | wc -l)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 \
	-artifact_prefix="$work/artifacts/" "$@" "$work/corpus" \
	>"$work/log" 2>&1
rc=$?
after=$(ls "$work/artifacts" | wc -l)

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
files=$(ls "$work/corpus" | wc -l)
printf '%s: %s executions in %s s (%s exec/s), corpus %s files\n' \
	"$name" "${execs:-?}" "$seconds" "${rate:-?}" "$files"

if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ] || [ -z "$execs" ]; then
	echo "$name: FAILED (exit $rc); see $work/log" >&2
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*property failed|.*runtime error)' \
		"$work/log" | head -n 5 >&2
	grep -E '^(artifact_prefix|Test unit written to)' "$work/log" >&2
	exit 1
fi
exit 0
