#!/usr/bin/env bash
# rt0trace bench / check: the spin fixture's package init spins for RT0_SPIN_MS. A baseline at 20 ms;
# then 10 unchanged reruns must all pass and 10 reruns with a deliberate +30 ms must all fail naming
# that package's phase. Plus the JSON output, the environment flags, and every bad input.
. "$(dirname "$0")/lib/common.bash"
need_fixture spin
need_fixture ccrash
R=$RT0TRACE
FX=$RT0_FIXTURES
need_ptrace
PHASE="init example.com/spin/slow"

RT0_SPIN_MS=20 "$R" bench -n 10 -o "$TMP/base.json" -- "$FX/spin" > "$TMP/bench.txt" || die "bench exit $?: $(cat "$TMP/bench.txt")"
jq -e --arg p "$PHASE" '.format == "rt0trace-baseline" and .runs == 10 and
    ([.metrics[] | select(.name == "startup" or .name == $p) | .samples_ns | length] == [10, 10]) and
    ([.metrics[] | select(.name == $p)][0].median_ns >= 20000000) and
    (.environment | .cpus > 0 and (.binary_sha256 | length) == 64 and .build_id != null and .kernel != null)' "$TMP/base.json" >/dev/null \
  || die "baseline: $(jq -c '{runs, env: .environment, m: [.metrics[] | {name, median_ns, n: (.samples_ns | length)}]}' "$TMP/base.json")"
grep -q "^  $PHASE " "$TMP/bench.txt" || die "bench output lacks the spinning phase: $(cat "$TMP/bench.txt")"
pass "bench: 10 runs, startup and $PHASE ($(jq -r --arg p "$PHASE" '.metrics[] | select(.name == $p) | .median_ns / 1e6 | floor' "$TMP/base.json") ms) with every sample, environment and build ID"

for i in $(seq 10); do
  RT0_SPIN_MS=20 "$R" check --baseline "$TMP/base.json" -n 10 -- "$FX/spin" > "$TMP/same.$i.txt"
  rc=$?
  [ "$rc" -eq 0 ] || die "unchanged rerun $i: check exit $rc: $(cat "$TMP/same.$i.txt")"
  grep -q '^no phase regressed beyond 10%$' "$TMP/same.$i.txt" || die "unchanged rerun $i: $(tail -n 2 "$TMP/same.$i.txt")"
done
pass "unchanged reruns: 10 of 10 pass (exit 0)"

for i in $(seq 10); do
  RT0_SPIN_MS=50 "$R" check --baseline "$TMP/base.json" -n 10 -- "$FX/spin" > "$TMP/slow.$i.txt"
  rc=$?
  [ "$rc" -eq 1 ] || die "+30 ms rerun $i: check exit $rc, want 1: $(cat "$TMP/slow.$i.txt")"
  grep -q "^regressed beyond 10%:.* $PHASE (+[23][0-9]\.[0-9]* ms" "$TMP/slow.$i.txt" || die "+30 ms rerun $i does not name $PHASE: $(tail -n 1 "$TMP/slow.$i.txt")"
  grep -q "^  $PHASE .* REGRESSED$" "$TMP/slow.$i.txt" || die "+30 ms rerun $i: the phase row is not marked: $(cat "$TMP/slow.$i.txt")"
done
pass "+30 ms in $PHASE: 10 of 10 flagged (exit 1), naming that phase"

# JSON output, and a baseline from another binary is flagged
RT0_SPIN_MS=50 "$R" check --json --baseline "$TMP/base.json" -n 5 -- "$FX/spin" > "$TMP/slow.json"
[ $? -eq 1 ] || die "check --json on the slow run did not exit 1"
jq -e --arg p "$PHASE" '(.regressed | index($p)) != null and .runs == 5 and .flags == [] and
    ([.metrics[] | select(.name == $p)][0] | .verdict == "regressed" and .ci95[0] > 1.1 and .ratio > 1.5)' "$TMP/slow.json" >/dev/null \
  || die "check --json: $(jq -c '{regressed, flags, m: [.metrics[] | select(.verdict != "ok")]}' "$TMP/slow.json")"
pass "check --json names the regressed phase with its ratio and 95% CI"
cp "$FX/spin" "$TMP/spin-copy" && printf 'x' >> "$TMP/spin-copy"
RT0_SPIN_MS=20 "$R" check --baseline "$TMP/base.json" -n 3 -- "$TMP/spin-copy" > "$TMP/other.txt"
grep -q '^flagged: the baseline was recorded from another binary' "$TMP/other.txt" || die "another binary not flagged: $(cat "$TMP/other.txt")"
jq '.environment.hostname = "elsewhere" | .environment.cpus = 64' "$TMP/base.json" > "$TMP/elsewhere.json"
RT0_SPIN_MS=20 "$R" check --baseline "$TMP/elsewhere.json" -n 3 -- "$FX/spin" > "$TMP/machine.txt"
grep -q '^flagged: the baseline was recorded on another machine (hostname "elsewhere", now .*cpus 64, now' "$TMP/machine.txt" \
  || die "another machine not flagged: $(grep flagged "$TMP/machine.txt")"
pass "a baseline from another binary or another machine is flagged"

# The eBPF engine: the baseline records it and check takes it from there (a +30 ms init still shows).
if "$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"; then
  RT0_SPIN_MS=20 "$R" bench --engine ebpf -n 5 -o "$TMP/ebpf.json" -- "$FX/spin" > "$TMP/ebpf.txt" || die "bench --engine ebpf exit $?: $(cat "$TMP/ebpf.txt")"
  jq -e --arg p "$PHASE" '.engine == "ebpf" and .runs == 5 and ([.metrics[] | select(.name == $p)][0].median_ns >= 20000000)' \
    "$TMP/ebpf.json" >/dev/null || die "ebpf baseline: $(jq -c '{engine, runs, m: [.metrics[] | {name, median_ns}]}' "$TMP/ebpf.json")"
  RT0_SPIN_MS=50 "$R" check --baseline "$TMP/ebpf.json" -n 5 -- "$FX/spin" > "$TMP/ebpf-slow.txt"
  rc=$?
  [ "$rc" -eq 1 ] && grep -q "^regressed beyond 10%:.* $PHASE (+[23][0-9]\.[0-9]* ms" "$TMP/ebpf-slow.txt" \
    || die "check of an ebpf baseline (+30 ms): exit $rc: $(tail -n 1 "$TMP/ebpf-slow.txt")"
  pass "bench --engine ebpf records the engine; check uses it and names a +30 ms init (exit 1)"
else
  echo "skipped: bench/check with the eBPF engine: $(cat "$TMP/probe.err")"
fi
expect_exit 2 "check: another engine than the baseline's" -- "$R" check --baseline "$TMP/base.json" --engine ebpf -- "$FX/spin"
[ "$(head -n 1 "$TMP/err")" = "rt0trace check: the baseline '$TMP/base.json' was recorded with --engine ptrace, not ebpf: compare runs of one engine" ] \
  || die "check with another engine: $(cat "$TMP/err")"

# bad inputs
expect_error 3 "rt0trace: cannot read the baseline '$TMP/none.json': unable to open $TMP/none.json: No such file or directory" \
  "check: missing baseline" -- "$R" check --baseline "$TMP/none.json" -- "$FX/spin"
echo '{"format":"something-else"}' > "$TMP/notbase.json"
expect_error 3 "rt0trace: '$TMP/notbase.json' is not an rt0trace baseline (written by 'rt0trace bench -o')" \
  "check: not a baseline" -- "$R" check --baseline "$TMP/notbase.json" -- "$FX/spin"
expect_exit 2 "check: bad threshold" -- "$R" check --baseline "$TMP/base.json" --threshold lots -- "$FX/spin"
expect_exit 2 "check: bad --min-delta" -- "$R" check --baseline "$TMP/base.json" --min-delta 3parsecs -- "$FX/spin"
expect_exit 2 "check: no --baseline" -- "$R" check -- "$FX/spin"
expect_exit 2 "bench: -n 1" -- "$R" bench -n 1 -o "$TMP/x.json" -- "$FX/spin"
expect_exit 2 "bench: no -o" -- "$R" bench -- "$FX/spin"
expect_exit 2 "bench: no PROGRAM" -- "$R" bench -o "$TMP/x.json"
expect_exit 2 "bench: unknown engine" -- "$R" bench --engine nope -o "$TMP/x.json" -- "$FX/spin"
expect_error 3 "rt0trace: cannot execute '$TMP/nope': No such file or directory" "bench: missing program" -- \
  "$R" bench -n 3 -o "$TMP/x.json" -- "$TMP/nope"
RT0_CRASH=ctor expect_error 1 "rt0trace: run 1 of 3: the program crashed before main (SIGSEGV in init crash_ctor)" \
  "bench: a program that crashes before main" -- "$R" bench -n 3 -o "$TMP/x.json" -- "$FX/ccrash"
[ ! -e "$TMP/x.json" ] || die "a failed bench left a baseline behind"
pass "a failed bench writes no baseline"
finish
