#!/usr/bin/env bash
# Timings against the Go runtime's own clock: in one run, the spin fixture's init of 30 ms of CPU work
# (RT0_SPIN_WORK_MS=30) as the report gives it (net_ns: the phase less the time the tracer held the
# program stopped) must be within 10% of what GODEBUG=inittrace=1 printed for that init in the same run,
# under every engine that observes package inits (ptrace, ebpf); and no phase's figure may go negative
# after the tracer's holds are taken out.
#
# Not timed: the figure is compared with the runtime's clock of the same run, and the run is given a
# real-time priority (chrt -f), so that two busy loops on the machine take no CPU from the program or the
# tracer in the middle of the phase (preemption lands in one figure and not the other: the phase runs on
# a little past inittrace's window). Without the right to use real-time priorities the check says
# skipped with the reason.
. "$(dirname "$0")/lib/common.bash"
need_fixture spin
need_ptrace
R=$RT0TRACE
FX=$RT0_FIXTURES
PHASE="init example.com/spin/slow"

command -v chrt >/dev/null || skip "chrt (util-linux) is not installed"
chrt -f 10 true 2>"$TMP/chrt.err" || skip "real-time priority is not permitted here: $(cat "$TMP/chrt.err")"

checked=0
for engine in ptrace ebpf; do
  RT0_SPIN_WORK_MS=30 GODEBUG=inittrace=1 chrt -f 10 "$R" run --engine "$engine" -o "$TMP/$engine.jsonl" -- "$FX/spin" \
    > /dev/null 2> "$TMP/$engine.err"
  rc=$?
  if [ "$rc" -eq 4 ]; then
    echo "skipped: $engine: $(cat "$TMP/$engine.err")"
    continue
  fi
  [ "$rc" -eq 0 ] || die "$engine: run exit $rc: $(tail -3 "$TMP/$engine.err")"
  # inittrace: "init example.com/spin/slow @21 ms, 33 ms clock, 3560 bytes, 11 allocs"
  clock=$(awk '$1 == "init" && $2 == "example.com/spin/slow" {for (i = 3; i <= NF; i++) if ($(i+1) == "clock,") {print $(i-1) + 0; exit}}' "$TMP/$engine.err")
  [ -n "$clock" ] || die "$engine: no inittrace line for the spin package: $(grep spin "$TMP/$engine.err")"
  "$R" report --format json -o "$TMP/$engine.json" "$TMP/$engine.jsonl" || die "$engine: report exit $?"
  # every phase: the held time within its wall time, so no compensated figure below zero
  jq -e '[.phases[] | select(.stopped_ns != null) | (.stopped_ns <= .dur_ns and .net_ns >= 0)] | all' "$TMP/$engine.json" >/dev/null \
    || die "$engine: a phase held longer than it lasted: $(jq -c '[.phases[] | select(.stopped_ns > .dur_ns)]' "$TMP/$engine.json")"
  if [ "$engine" = ptrace ]; then
    # every phase but the last begins with a probe's stop: its hold and a stop's cost (measured at the
    # start, in the header) are taken out, never more than the phase lasted
    jq -s -e '.[0].stop_cost_ns > 0 and .[0].stop_cost_ns < 10000000' "$TMP/$engine.jsonl" >/dev/null \
      || die "ptrace: the header has no stop_cost_ns: $(head -c 300 "$TMP/$engine.jsonl")"
    jq -e '.phases[:-1] | length > 15 and all(.stopped_ns > 0 and .stop_cost_ns > 0 and .net_ns == .dur_ns - ([.stopped_ns + .stop_cost_ns, .dur_ns - .wait_ns] | min) and .net_ns >= 0)' \
      "$TMP/$engine.json" >/dev/null \
      || die "ptrace: phases without the tracer's part: $(jq -c '[.phases[] | {name, dur_ns, stopped_ns, stop_cost_ns, net_ns}] | .[:4]' "$TMP/$engine.json")"
  fi
  ours=$(jq -r --arg p "$PHASE" '.phases[] | select(.name == $p) | (.net_ns // .dur_ns) / 1e6' "$TMP/$engine.json")
  held=$(jq -r --arg p "$PHASE" '.phases[] | select(.name == $p) | ((.stopped_ns // 0) + (.stop_cost_ns // 0)) / 1e6' "$TMP/$engine.json")
  [ -n "$ours" ] || die "$engine: the report has no phase '$PHASE'"
  # inittrace prints whole milliseconds above 10 ms: within 10% of the figure as printed
  awk -v a="$ours" -v b="$clock" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(d <= 0.10 * b)}' \
    || die "$engine: $PHASE $ours ms (held $held ms taken out), inittrace $clock ms: more than 10% apart"
  pass "$engine: $PHASE $ours ms (the tracer's $held ms taken out), inittrace $clock ms: within 10%; no phase negative"
  checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || skip "no engine could run here"
finish
