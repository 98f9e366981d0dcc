#!/usr/bin/env bash
# rt0trace report --program: a trace that followed a shell into a Go program (sh -c 'diamond; exit 0'
# with -f: sh forks and the child execs diamond) is reported for the root (sh) by default and for
# diamond with --program NAME: diamond's own phases, init order, pid and syscalls, the same phases as a
# trace of diamond alone. A root that execs diamond itself (sh -c 'exec diamond') is analysed only up to
# that exec. Diamond's exec event carries its `binary` as an engine that follows execs writes it; where
# the engine did not, it is added here from a trace of diamond alone (diamond is not PIE: bias 0 in both).
# An unknown program, an exec without binary details and a missing NAME give their message and exit code.
. "$(dirname "$0")/lib/common.bash"
need_fixture diamond
R=$RT0TRACE
FX=$RT0_FIXTURES
need_ptrace

# diamond alone: the oracle, and the binary object to add
"$R" run -o "$TMP/alone.jsonl" -- "$FX/diamond" >/dev/null 2>&1 || die "diamond traced alone: exit $?"
"$R" report --format json -o "$TMP/alone.json" "$TMP/alone.jsonl" || die "report of diamond alone: exit $?"
jq -c 'select(.type == "header") | .binary' "$TMP/alone.jsonl" > "$TMP/binary.json"
[ "$(jq -r .bias "$TMP/binary.json")" = "0x0" ] || die "diamond has a load bias: the binary object cannot be reused"

# with_binary IN OUT: diamond's exec events get the binary object when they have none
with_binary() {
  jq -c --slurpfile b "$TMP/binary.json" \
    'if .type == "exec" and (.path | split("/") | last) == "diamond" and (has("binary") | not) then .binary = $b[0] else . end' \
    "$1" > "$2" || die "cannot add the binary object to '$1'"
}

# --- sh forks, the child execs diamond ------------------------------------------------------------------
"$R" run -f -o "$TMP/raw.jsonl" -- /bin/sh -c "$FX/diamond; exit 0" >/dev/null 2>&1 || die "sh -c diamond traced: exit $?"
with_binary "$TMP/raw.jsonl" "$TMP/sh.jsonl"
T=$TMP/sh.jsonl
DEXEC=$(jq -c 'select(.type == "exec" and (.path | split("/") | last) == "diamond")' "$T" | head -n 1)
[ -n "$DEXEC" ] || die "the trace has no exec of diamond: $(jq -c 'select(.type == "exec") | del(.binary)' "$T")"
DPID=$(jq -r .pid <<<"$DEXEC")
DT=$(jq -r .t <<<"$DEXEC")
DPATH=$(jq -r .path <<<"$DEXEC")
ROOT=$(jq -r 'select(.type == "exec") | .pid' "$T" | head -n 1)
ROOTPATH=$(jq -r 'select(.type == "exec") | .path' "$T" | head -n 1)
T0=$(jq -r 'select(.type == "header") | .t0' "$T")
[ "$DPID" != "$ROOT" ] || die "diamond ran in the root process: the fork was not followed"

"$R" report --program diamond --format json -o "$TMP/diamond.json" "$T" \
  || die "report --program diamond: exit $? (a check failed): $(jq -c '[.checks[] | select(.ok | not)]' "$TMP/diamond.json")"
jq -e --argjson pid "$DPID" --arg path "$DPATH" \
  '.pid == $pid and .program == $path and .binary.path == $path and .binary.go_version != null and (.checks | all(.ok))' \
  "$TMP/diamond.json" >/dev/null || die "--program diamond: $(jq -c '{pid, program, binary: .binary.path, checks}' "$TMP/diamond.json")"
pass "--program diamond: pid $DPID, binary $DPATH, all $(jq '.checks | length' "$TMP/diamond.json") checks pass"

jq -c '[.phases[].name]' "$TMP/alone.json" > "$TMP/alone.phases"
jq -c '[.phases[].name]' "$TMP/diamond.json" > "$TMP/diamond.phases"
diff -u "$TMP/alone.phases" "$TMP/diamond.phases" >&2 || die "--program diamond: the phases differ from diamond traced alone"
jq -e '[.phases[].name] | index("runtime.main") != null and index("main.main") != null and index("init main") != null' \
  "$TMP/diamond.json" >/dev/null || die "--program diamond: runtime.main, init main or main.main missing"
pass "--program diamond: the $(jq length "$TMP/diamond.phases") phases of diamond traced alone (runtime.main ... main.main)"

jq -e --slurpfile a "$TMP/alone.json" '.init_order.match and .init_order.observed == $a[0].init_order.observed' \
  "$TMP/diamond.json" >/dev/null || die "--program diamond: init order $(jq -c .init_order "$TMP/diamond.json")"
pass "--program diamond: init order observed = placed = diamond alone's ($(jq '.init_order.observed | length' "$TMP/diamond.json") packages)"

# the exec row starts at diamond's exec; only diamond's syscalls (from its exec on) are counted
want=$(jq -s --argjson pid "$DPID" --argjson t "$DT" '[.[] | select(.type == "syscall" and .pid == $pid and .t >= $t)] | length' "$T")
jq -e --argjson start $((DT - T0)) --argjson n "$want" \
  '.phases[0].name == "exec" and .phases[0].start_ns == $start and ([.syscalls[].count] | add) == $n and ([.phases[].syscalls] | add) == $n' \
  "$TMP/diamond.json" >/dev/null \
  || die "--program diamond: exec row $(jq -c '.phases[0]' "$TMP/diamond.json"), $(jq '[.syscalls[].count] | add' "$TMP/diamond.json") syscalls; want start $((DT - T0)), $want syscalls"
pass "--program diamond: the exec row starts at its exec (+$(( (DT - T0) / 1000 )) us); its $want syscalls only"

# the full path names it too, and the text report says which process it is
"$R" report --program "$DPATH" --format json "$T" | jq -e --argjson pid "$DPID" '.pid == $pid' >/dev/null \
  || die "--program $DPATH: not diamond's process"
"$R" report --program diamond "$T" > "$TMP/diamond.txt" || die "text report --program diamond: exit $?"
grep -qF "process $DPID, from its exec of $DPATH" "$TMP/diamond.txt" || die "text report: no process line: $(head -n 3 "$TMP/diamond.txt")"
pass "--program by full path; the text report names process $DPID"

# the other formats follow the selection: perfetto's phase track belongs to diamond's process
"$R" report --program diamond --format perfetto -o "$TMP/diamond.perfetto.json" "$T" || die "perfetto --program diamond: exit $?"
jq -e --argjson pid "$DPID" '[.traceEvents[] | select(.name == "thread_name" and .args.name == "startup phases")][0].pid == $pid' \
  "$TMP/diamond.perfetto.json" >/dev/null || die "perfetto: the startup phases track is not in process $DPID"
"$R" report --program diamond --format html -o "$TMP/diamond.html" "$T" || die "html --program diamond: exit $?"
grep -qF "rt0trace report: <span class=\"mono\">$DPATH</span>" "$TMP/diamond.html" || die "html: the heading does not name $DPATH"
pass "perfetto: startup phases in process $DPID; html: headed $DPATH"

# by default: the root (sh), its header binary, every syscall of the trace as before
"$R" report --format json -o "$TMP/root.json" "$T"
all=$(jq -s '[.[] | select(.type == "syscall")] | length' "$T")
jq -e --argjson pid "$ROOT" --arg path "$ROOTPATH" --argjson n "$all" \
  '.pid == $pid and has("program") == false and .binary.path == $path and .phases[0].start_ns == 0 and
   ([.phases[].name] | index("main.main") == null) and ([.syscalls[].count] | add) == $n' "$TMP/root.json" >/dev/null \
  || die "default report: $(jq -c '{pid, program, binary: .binary.path, phases: [.phases[].name]}' "$TMP/root.json")"
pass "default: the root $ROOTPATH (pid $ROOT), no program key, all $all syscalls of the trace"

# the root named explicitly: the header's binary, from its exec, its own syscalls
"$R" report --program "$(basename "$ROOTPATH")" --format json -o "$TMP/rootsel.json" "$T"
want=$(jq -s --argjson pid "$ROOT" '(map(select(.type == "exec" and .pid == $pid)) | first | .t) as $t
  | [.[] | select(.type == "syscall" and .pid == $pid and .t >= $t)] | length' "$T")
jq -e --argjson pid "$ROOT" --arg path "$ROOTPATH" --argjson n "$want" \
  '.pid == $pid and .program == $path and .binary.path == $path and .phases[0].start_ns > 0 and ([.syscalls[].count] | add) == $n' \
  "$TMP/rootsel.json" >/dev/null || die "--program $(basename "$ROOTPATH"): $(jq -c '{pid, program, binary: .binary.path, e: .phases[0]}' "$TMP/rootsel.json")"
pass "--program $(basename "$ROOTPATH"): the header's binary, pid $ROOT, its own $want syscalls"

# --- sh execs diamond in its own process: the root's report stops at that exec ------------------------------
"$R" run -o "$TMP/exec.raw.jsonl" -- /bin/sh -c "exec $FX/diamond" >/dev/null 2>&1 || die "sh -c 'exec diamond' traced: exit $?"
with_binary "$TMP/exec.raw.jsonl" "$TMP/exec.jsonl"
[ "$(jq -s '[.[] | select(.type == "exec")] | map(.pid) | unique | length' "$TMP/exec.jsonl")" = 1 ] \
  || die "sh -c 'exec diamond': the execs are not in one process"
"$R" report --format json -o "$TMP/exec.root.json" "$TMP/exec.jsonl"
jq -e --arg path "$ROOTPATH" '.binary.path == $path and ([.phases[].name] | index("runtime.main") == null and index("main.main") == null)' \
  "$TMP/exec.root.json" >/dev/null || die "sh -c 'exec diamond', default: diamond's phases leak into sh's: $(jq -c '[.phases[].name]' "$TMP/exec.root.json")"
"$R" report --program diamond --format json -o "$TMP/exec.diamond.json" "$TMP/exec.jsonl" \
  || die "sh -c 'exec diamond', --program diamond: exit $?: $(jq -c '[.checks[] | select(.ok | not)]' "$TMP/exec.diamond.json")"
jq -c '[.phases[].name]' "$TMP/exec.diamond.json" | diff -u "$TMP/alone.phases" - >&2 \
  || die "sh -c 'exec diamond', --program diamond: the phases differ from diamond traced alone"
pass "sh -c 'exec diamond': the default report stops at the exec; --program diamond has diamond's phases"

# --- errors -----------------------------------------------------------------------------------------------
progs=$(jq -r -s '[.[] | select(.type == "exec" or .type == "attach") | .path]
  | reduce .[] as $p ([]; if index([$p]) == null then . + [$p] else . end) | join(", ")' "$T")
expect_error 3 "rt0trace: no exec of 'nosuch' in the trace '$T' (programs: $progs)" "--program nosuch" -- \
  "$R" report --program nosuch "$T"
jq -c 'if .type == "exec" then del(.binary) else . end' "$T" > "$TMP/nobinary.jsonl"
expect_error 3 "rt0trace: the trace has no binary details for 'diamond' (traced by an engine that does not record them)" \
  "--program diamond, its exec without binary" -- "$R" report --program diamond "$TMP/nobinary.jsonl"
expect_exit 2 "--program without NAME" -- "$R" report --program
grep -q "option '--program' needs an argument" "$TMP/err" || die "--program without NAME: $(cat "$TMP/err")"
expect_exit 2 "an unknown letter inside a cluster of options" -- "$R" report -Zq "$TMP/nobinary.jsonl"
[ "$(head -n 1 "$TMP/err")" = "rt0trace report: unknown option '-Z'" ] || die "-Zq: $(head -n 1 "$TMP/err")"
finish
