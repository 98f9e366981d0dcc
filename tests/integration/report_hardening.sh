#!/usr/bin/env bash
# report on traces and baselines it did not write: crafted traces with members missing or of the wrong
# type never crash any renderer; a trace cut mid-line (the tracer killed while writing) is reported up
# to its last complete line and flagged (text, json, html); nonsense numbers (negative t or dur, an exit
# status of 300, ...) are rejected naming the line, exit 3; a root that execs another program is
# reported until that exec, with a note naming the program and `--program`; a baseline with a negative
# sample gives one clean message (it used to quote a freed metric name).
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
SEEDS=$RT0_SRC/tests/fuzz/corpus

# --- crafted traces: every renderer, no crash, no sanitizer report --------------------------------------
for f in "$SEEDS"/trace/*.jsonl; do
  for fmt in text json perfetto html; do
    "$R" report --format "$fmt" -o "$TMP/out.$fmt" "$f" 2>"$TMP/err"
    rc=$?
    { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && [ ! -s "$TMP/err" ] ||
      die "$(basename "$f") --format $fmt: exit $rc, stderr: $(head -c 600 "$TMP/err")"
  done
done
pass "$(ls "$SEEDS"/trace/*.jsonl | wc -l) crafted traces (missing flags, anonymous mappings, wrong types, cut, exec, killed): 4 formats, exit 0/1, stderr empty"

# The two of issue 20: a header segment without "flags" and a maps entry naming the binary (classify's
# strcmp), and an anonymous mapping (its strchr): the rows are still classified.
"$R" report --format json "$SEEDS/trace/noflags-classify.jsonl" > "$TMP/nf.json" 2>"$TMP/err"
jq -e '[.layout[].kind] == ["data", "anonymous", "anonymous", "anonymous"]' "$TMP/nf.json" >/dev/null ||
  die "segment without flags: layout $(jq -c '[.layout[] | {start, kind}]' "$TMP/nf.json"); $(cat "$TMP/err")"
pass "a segment without flags: its mapping is the binary's 'data'; an anonymous one inside it (no flags: not known writable, so not bss) and malformed entries 'anonymous'"

# --- a trace cut mid-line ------------------------------------------------------------------------------
need_fixture diamond
"$R" run -o "$TMP/diamond.jsonl" -- "$FX/diamond" >/dev/null 2>"$TMP/err" || die "run diamond: $(cat "$TMP/err")"
lines=$(wc -l < "$TMP/diamond.jsonl")
[ "$lines" -gt 100 ] || die "the diamond trace has only $lines lines"
# cut in the middle of line 97: its first 20 bytes stay
byte=$(head -n 96 "$TMP/diamond.jsonl" | wc -c)
head -c $((byte + 20)) "$TMP/diamond.jsonl" > "$TMP/cut.jsonl"
expect_exit 1 "report of a trace cut mid-line: read, reported, 'trace complete' fails" -- "$R" report "$TMP/cut.jsonl"
[ ! -s "$TMP/err" ] || die "cut trace: stderr $(cat "$TMP/err")"
grep -q "^  PARTIAL TRACE: cut mid-line at line 97, byte $byte (a 20-byte fragment dropped); no footer" "$TMP/out" ||
  die "cut trace: $(grep -m1 PARTIAL "$TMP/out")"
grep -q "^  ✗ trace complete: no footer: cut mid-line at line 97, byte $byte .*(95 events read)" "$TMP/out" ||
  die "cut trace check: $(grep 'trace complete' "$TMP/out")"
grep -q '^phases' "$TMP/out" && grep -q '^  exec ' "$TMP/out" || die "cut trace: no phases"
pass "text: 'PARTIAL TRACE: cut mid-line at line 97, byte $byte …', the 95 events before it reported"
"$R" report --format json "$TMP/cut.jsonl" > "$TMP/cut.json"
jq -e --argjson b "$byte" '.partial == true and .complete == false and .cut.line == 97 and .cut.byte == $b and
  .cut.footer == false and (.cut.reason | startswith("cut mid-line at line 97")) and (.phases | length) > 1' \
  "$TMP/cut.json" >/dev/null || die "cut trace json: $(jq -c '{partial, cut}' "$TMP/cut.json")"
"$R" report --format json "$TMP/diamond.jsonl" | jq -e '.partial == false and .cut == null' >/dev/null ||
  die "a whole trace: partial/cut keys"
pass "json: partial true, cut {line 97, byte $byte, footer false, reason}; a whole trace: partial false, cut null"
"$R" report --format html "$TMP/cut.jsonl" > "$TMP/cut.html"
grep -q '<p class="banner warn" id="partial">Partial trace: cut mid-line at line 97' "$TMP/cut.html" || die "cut trace html: no banner"
"$R" report --format perfetto -o "$TMP/cut.perfetto.json" "$TMP/cut.jsonl"
jq -e '[.traceEvents[] | select(.cat == "trace" and ((.args.cut // "") | startswith("cut mid-line")))] | length == 1' \
  "$TMP/cut.perfetto.json" >/dev/null || die "cut trace perfetto: no partial instant with the cut"
pass "html banner and perfetto's partial-trace instant say where it was cut"
# a tracer really SIGKILLed while the program keeps it writing (yes: a write per line): whatever the last
# byte, the report reads up to the last complete line; cut mid-line unless the kill fell on a line's end
"$R" run -o "$TMP/killed.jsonl" -- yes >/dev/null 2>&1 &
tracer=$!
for _ in $(seq 600); do
  [ "$(stat -c %s "$TMP/killed.jsonl" 2>/dev/null || echo 0)" -gt 65536 ] && break
  sleep 0.1
done
kill -KILL "$tracer"
wait "$tracer" 2>/dev/null
yes_pid=$(head -n 2 "$TMP/killed.jsonl" | jq -r 'select(.type == "exec") | .pid')
[ -n "$yes_pid" ] && kill -KILL "$yes_pid" 2>/dev/null # ptrace left it running when the tracer died
expect_exit 1 "report of a trace whose tracer was SIGKILLed mid-run" -- "$R" report "$TMP/killed.jsonl"
if tail -n 1 "$TMP/killed.jsonl" | jq -e . >/dev/null 2>&1; then
  grep -q '^  PARTIAL TRACE: no footer' "$TMP/out" || die "SIGKILLed tracer: $(grep -m1 PARTIAL "$TMP/out")"
  pass "SIGKILLed tracer (its last write ended an event): reported, PARTIAL TRACE: no footer"
else
  grep -q '^  PARTIAL TRACE: cut mid-line at line [0-9]*, byte [0-9]*' "$TMP/out" || die "SIGKILLed tracer: $(grep -m1 PARTIAL "$TMP/out")"
  pass "SIGKILLed tracer: $(grep -m1 -o 'cut mid-line at line [0-9]*, byte [0-9]*' "$TMP/out"), the rest reported"
fi
# no complete header line: nothing to report
head -c 50 "$TMP/diamond.jsonl" > "$TMP/cuthead.jsonl"
expect_exit 3 "a trace cut inside its header" -- "$R" report "$TMP/cuthead.jsonl"
grep -q "^rt0trace: '$TMP/cuthead.jsonl' line 1: not a JSON object" "$TMP/err" || die "cut header: $(cat "$TMP/err")"
# a broken line that is not the last is damage, not a cut
{ head -n 96 "$TMP/diamond.jsonl"; head -n 97 "$TMP/diamond.jsonl" | tail -1 | head -c 20; echo; tail -n +98 "$TMP/diamond.jsonl"; } > "$TMP/mid.jsonl"
expect_exit 3 "a broken line in the middle of a trace" -- "$R" report "$TMP/mid.jsonl"
grep -q "^rt0trace: '$TMP/mid.jsonl' line 97: not a JSON object" "$TMP/err" || die "broken line: $(cat "$TMP/err")"

# --- nonsense numbers: rejected, naming the line --------------------------------------------------------
head -n 1 "$TMP/diamond.jsonl" > "$TMP/head.jsonl"
t0=$(jq -r .t0 "$TMP/head.jsonl")
bad() { # NAME 'event json' 'expected message after "line 2: "'
  { cat "$TMP/head.jsonl"; echo "$2"; } > "$TMP/$1.jsonl"
  expect_error 3 "rt0trace: '$TMP/$1.jsonl' line 2: $3" "$1" -- "$R" report "$TMP/$1.jsonl"
}
bad neg-t '{"type":"syscall","t":-5,"pid":1,"name":"brk"}' "syscall event: time \"t\" -5 is before the header's t0 $t0"
bad neg-dur "{\"type\":\"syscall\",\"t\":$((t0 + 10)),\"pid\":1,\"name\":\"brk\",\"dur\":-3}" 'syscall event: "dur" -3 is not a duration'
bad str-t '{"type":"probe","t":"soon","pid":1}' 'probe event: time "t" is not an integer'
bad huge-dur "{\"type\":\"syscall\",\"t\":$t0,\"pid\":1,\"dur\":9223372036854775807}" 'syscall event: "dur" 9223372036854775807 is not a duration'
bad status "{\"type\":\"exit\",\"t\":$t0,\"pid\":1,\"status\":300}" 'exit event: "status" 300 is not an exit status (0..255)'
bad signo "{\"type\":\"signal\",\"t\":$t0,\"pid\":1,\"signo\":0}" 'signal event: "signo" 0 is not a signal number (1..64)'
bad pid "{\"type\":\"exec\",\"t\":$t0,\"pid\":-1}" 'exec event: "pid" -1 is not a process id'
# the same numbers in a syscall line of the engines' own shape (the reader's fast path) are refused alike
sys() { # t pid tid dur [ret]
  echo "{\"type\":\"syscall\",\"t\":$1,\"pid\":$2,\"tid\":$3,\"dur\":$4,\"nr\":12,\"name\":\"brk\",\"args\":[\"0x0\",\"0x1\",\"0x0\",\"0x0\",\"0x0\",\"0x0\"],\"ret\":${5:-0}}"
}
bad full-neg-t "$(sys 5 1 1 0)" "syscall event: time \"t\" 5 is before the header's t0 $t0"
bad full-neg-dur "$(sys $((t0 + 10)) 1 1 -3)" 'syscall event: "dur" -3 is not a duration'
bad full-huge-dur "$(sys $t0 1 1 9223372036854775807)" 'syscall event: "dur" 9223372036854775807 is not a duration'
bad full-pid "$(sys $t0 2147483648 1 0)" 'syscall event: "pid" 2147483648 is not a process id'
bad full-tid "$(sys $t0 1 -1 0)" 'syscall event: "tid" -1 is not a thread id'
bad full-float-t "$(sys $t0.5 1 1 0)" 'syscall event: time "t" is not an integer'
bad full-dup "$(sys $t0 1 1 0 | sed 's/"nr":12,/"nr":12,"nr":13,/')" "not a JSON object: duplicate object key near '\"nr\"'"
bad full-big "$(sys $t0 1 1 0 99999999999999999999)" 'not a JSON object: too big integer near '"'"'99999999999999999999'"'"''
{ echo '{"type":"header","format":"rt0trace-trace","version":1,"t0":-7}'; } > "$TMP/neg-t0.jsonl"
expect_error 3 "rt0trace: '$TMP/neg-t0.jsonl' line 1: the header's \"t0\" is not a time (an integer >= 0)" "negative t0" -- "$R" report "$TMP/neg-t0.jsonl"

# --- a root process that execs another program ----------------------------------------------------------
need_fixture cprog
"$R" run -o "$TMP/sh.jsonl" -- /bin/sh -c "exec $FX/cprog" >/dev/null 2>"$TMP/err" || die "run sh -c 'exec cprog': $(cat "$TMP/err")"
"$R" report -o "$TMP/sh.txt" "$TMP/sh.jsonl"
"$R" report --format json -o "$TMP/sh.json" "$TMP/sh.jsonl"
sh_path=$(jq -r .binary.path "$TMP/sh.json")
grep -q "^  note: process [0-9]* exec'd $FX/cprog at +[0-9.]* ms: this report covers $sh_path until then; 'rt0trace report --program cprog' reports that program" \
  "$TMP/sh.txt" || die "no note naming the exec'd program: $(grep note "$TMP/sh.txt")"
exec_ns=$(jq -s --arg p "$FX/cprog" '(map(select(.type == "exec" and .path == $p))[0].t) - .[0].t0' "$TMP/sh.jsonl")
jq -e --argjson x "$exec_ns" '(.phases | map(.name) | index("main") == null and index("ctor_first") == null) and
  (.phases[-1] | .start_ns + .dur_ns) <= $x and ([.phases[].syscalls] | add) == ([.syscalls[].count] | add)' "$TMP/sh.json" >/dev/null ||
  die "the root's report runs past its exec: $(jq -c '[.phases[] | {name, start_ns, dur_ns, syscalls}]' "$TMP/sh.json") exec at $exec_ns"
n_before=$(jq -s --arg p "$FX/cprog" '(map(select(.type == "exec" and .path == $p))[0].t) as $x | [.[] | select(.type == "syscall" and .t < $x)] | length' "$TMP/sh.jsonl")
jq -e --argjson n "$n_before" '([.syscalls[].count] | add) == $n' "$TMP/sh.json" >/dev/null ||
  die "the root's report counts $(jq '[.syscalls[].count] | add' "$TMP/sh.json") syscalls, $n_before before the exec"
pass "root sh execs cprog: sh's phases and its $n_before syscalls until the exec, and a note naming cprog and --program"
"$R" report --program cprog -o "$TMP/cprog.txt" "$TMP/sh.jsonl" || die "report --program cprog: $(grep '✗' "$TMP/cprog.txt")"
grep -q '^  main ' "$TMP/cprog.txt" || die "report --program cprog has no main phase"
pass "report --program cprog, as the note says, reports cprog (its main reached, every check passes)"

# --- a baseline whose error message quotes a metric's name (use-after-free before) ----------------------
expect_error 3 "rt0trace: '$SEEDS/baseline/neg-sample.json': metric 'runtime.schedinit' sample #1 is not a duration (0 to 1 hour in ns)" \
  "baseline with a negative sample" -- "$R" check --baseline "$SEEDS/baseline/neg-sample.json" -- /bin/true
printf '{"format":"rt0trace-baseline","version":1,"runs":-1,"metrics":[{"name":"startup","samples_ns":[1,2,3]}]}' > "$TMP/runs.json"
expect_error 3 "rt0trace: '$TMP/runs.json': \"runs\" is not the number of runs its samples came from" \
  "baseline with runs -1" -- "$R" check --baseline "$TMP/runs.json" -- /bin/true
# what check quotes in its flags must be strings (it printed "(null)" for the binary before)
printf '{"format":"rt0trace-baseline","version":1,"runs":3,"environment":{"binary":5},"metrics":[{"name":"startup","samples_ns":[1,2,3]}]}' > "$TMP/env.json"
expect_error 3 "rt0trace: '$TMP/env.json': the environment's \"binary\" is not a string" \
  "baseline whose environment's binary is a number" -- "$R" check --baseline "$TMP/env.json" -- /bin/true
finish
