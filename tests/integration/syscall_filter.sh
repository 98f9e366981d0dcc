#!/usr/bin/env bash
# rt0trace run -e trace=SET: only those syscalls are recorded, by every engine; under ptrace the program
# carries a seccomp filter and stops only for them (its own /proc/self/status says so), forks are
# followed silently so that a child's filtered syscalls still work, an interrupted rt0trace kills the
# program rather than leave it running with the filter and no tracer; strace counts the same calls;
# every bad set is one message and exit 2.
. "$(dirname "$0")/lib/common.bash"
need_fixture spin
need_fixture diamond
need_ptrace
R=$RT0TRACE
FX=$RT0_FIXTURES

names() { jq -r 'select(.type == "syscall") | .name' "$1" | sort -u | tr '\n' ' '; }

# --- classes and names: the trace holds those and nothing else; probes and checks as always -----------
"$R" run -e trace=%memory -o "$TMP/mem.jsonl" -- "$FX/spin" > "$TMP/mem.out" 2>&1 || die "run -e trace=%memory: exit $?: $(cat "$TMP/mem.out")"
jq -s -e '.[0].syscall_filter == "%memory"' "$TMP/mem.jsonl" >/dev/null || die "the header does not name the filter"
got=$(names "$TMP/mem.jsonl")
for n in $got; do
  case $n in brk|mmap|munmap|mremap|mprotect|madvise|mlock|munlock|mincore|msync) ;; *) die "-e trace=%memory recorded '$n' ($got)" ;; esac
done
[[ " $got " == *" mmap "* ]] || die "-e trace=%memory recorded no mmap ($got)"
jq -s -e 'map(select(.type == "probe")) | length > 20' "$TMP/mem.jsonl" >/dev/null || die "probes were lost with a filter"
"$R" report --format json -o "$TMP/mem.report.json" "$TMP/mem.jsonl" || die "report of a filtered trace: a check failed: $(jq -c '[.checks[]|select(.ok|not)]' "$TMP/mem.report.json")"
jq -e '.syscall_filter == "%memory" and .init_order.match and (.phases | map(.name) | index("main.main")) != null' "$TMP/mem.report.json" >/dev/null \
  || die "report: $(jq -c '{syscall_filter, io: .init_order.match}' "$TMP/mem.report.json")"
"$R" report -o "$TMP/mem.report.txt" "$TMP/mem.jsonl"
grep -q "syscalls (only -e trace=%memory)" "$TMP/mem.report.txt" || die "the text report does not say the syscalls were filtered"
jq -e '.syscalls | has("rt_sigaction") | not' "$TMP/mem.report.json" >/dev/null || die "rt_sigaction counted under -e trace=%memory"
pass "-e trace=%memory: only memory syscalls ($got), every probe, the report's checks pass and it names the filter"

"$R" run --trace 'openat,exit_group' -o "$TMP/names.jsonl" -- "$FX/diamond" > /dev/null 2>&1 || die "--trace openat,exit_group: exit $?"
[ "$(names "$TMP/names.jsonl")" = "exit_group openat " ] || die "--trace openat,exit_group recorded: $(names "$TMP/names.jsonl")"
jq -s -e '[.[] | select(.type == "syscall" and .name == "openat")] | length > 0 and all(.ret != null and .dur >= 0)' "$TMP/names.jsonl" >/dev/null \
  || die "openat under a filter lacks its result (the exit stop)"
"$R" run -e 'trace=!%signal,%memory' -o "$TMP/not.jsonl" -- "$FX/spin" > /dev/null 2>&1 || die "-e trace=!%signal,%memory: exit $?"
got=$(names "$TMP/not.jsonl")
# (sched_getaffinity: the Go runtime counts its CPUs with it at every start; nanosleep, checked here
# before, comes from sysmon only when it gets to run, which a busy machine can prevent)
[[ " $got " != *" rt_sigaction "* && " $got " != *" mmap "* && " $got " == *" sched_getaffinity "* && " $got " == *" exit_group "* ]] \
  || die "-e 'trace=!%signal,%memory' recorded: $got"
pass "names (--trace openat,exit_group: each with its result) and the complement ('!%signal,%memory')"

# --- ptrace: a seccomp filter in the program, only with a tracer to the end -------------------------------
seccomp_line() { grep '^Seccomp:' "$1" | tr -d ' \t'; }
cat /proc/self/status > "$TMP/plain.status"
[ "$(seccomp_line "$TMP/plain.status")" = "Seccomp:0" ] || skip "this shell already runs under a seccomp filter: $(seccomp_line "$TMP/plain.status")"
"$R" run -e trace=openat -o "$TMP/cat.jsonl" -- cat /proc/self/status > "$TMP/cat.status" 2>&1 || die "cat under -e trace=openat: exit $?"
[ "$(seccomp_line "$TMP/cat.status")" = "Seccomp:2" ] || die "the program has no seccomp filter under -e trace= (ptrace): $(seccomp_line "$TMP/cat.status")"
"$R" run -o "$TMP/cat0.jsonl" -- cat /proc/self/status > "$TMP/cat0.status" 2>&1 || die "cat: exit $?"
[ "$(seccomp_line "$TMP/cat0.status")" = "Seccomp:0" ] || die "a filter without -e trace=: $(seccomp_line "$TMP/cat0.status")"
"$R" run -e trace=openat --until main -o "$TMP/catm.jsonl" -- "$FX/diamond" > /dev/null 2>&1 || die "--until main with a filter: exit $?"
jq -s -e '.[0].syscall_filter == "openat" and ([.[] | select(.type == "syscall") | .name] - ["openat"] | length) == 0' "$TMP/catm.jsonl" >/dev/null \
  || die "--until main: the trace is not filtered"
pass "ptrace: the program runs with a seccomp filter (Seccomp: 2) only under -e trace=; --until main filters the trace alone"

# strace as the oracle: the same openat calls, same paths order-insensitive count
if command -v strace >/dev/null; then
  strace -qq -e trace=openat -o "$TMP/strace.txt" cat /proc/self/status > /dev/null
  want=$(grep -c '^openat(' "$TMP/strace.txt")
  got=$(jq -s '[.[] | select(.type == "syscall" and .name == "openat")] | length' "$TMP/cat.jsonl")
  [ "$got" -eq "$want" ] || die "openat calls of cat: rt0trace -e trace=openat $got, strace -e trace=openat $want"
  pass "the same openat count as strace -e trace=openat ($got)"
else
  echo "skipped: the strace comparison: strace is not installed (scripts/setup installs it)"
fi

# a fork without -f: followed silently, so the child's filtered syscalls work; nothing of it is recorded
"$R" run -e trace=%memory -o "$TMP/sh.jsonl" -- sh -c 'cat /proc/self/status; exit 3' > "$TMP/sh.status" 2>&1
rc=$?
[ "$rc" -eq 3 ] || die "sh -c 'cat; exit 3' under -e trace=%memory: exit $rc: $(head -c 300 "$TMP/sh.status")"
[ "$(seccomp_line "$TMP/sh.status")" = "Seccomp:2" ] && grep -q '^Name:' "$TMP/sh.status" || die "the child did not run its course: $(head -c 300 "$TMP/sh.status")"
pids=$(jq -s '[.[] | select(.pid != null) | .pid] | unique | length' "$TMP/sh.jsonl")
[ "$pids" -eq 1 ] || die "a child followed silently left events of $pids processes in the trace"
pass "a fork without -f: the child (with the filter) runs normally and stays out of the trace"

# interrupted: the program is killed with rt0trace, never left running with the filter
"$R" run -e trace=%memory -o "$TMP/int.jsonl" -- sleep 30 > /dev/null 2>&1 &
tracer=$!
for _ in $(seq 100); do
  child=$(pgrep -P "$tracer" -x sleep) && break
  sleep 0.05
done
[ -n "${child:-}" ] || die "the traced sleep did not start"
kill -INT "$tracer"
wait "$tracer"
rc=$?
[ "$rc" -eq 130 ] || die "SIGINT under -e trace=: rt0trace exit $rc, want 130"
for _ in $(seq 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
! kill -0 "$child" 2>/dev/null || { kill -9 "$child"; die "the program outlived an interrupted rt0trace with its seccomp filter"; }
jq -s -e 'last.type == "footer" and (last.complete | not)' "$TMP/int.jsonl" >/dev/null || die "the interrupted trace is not marked incomplete"
pass "SIGINT with a filter: the program is killed (never left with a filter and no tracer), exit 130, trace incomplete"

# --- the other engines filter what they write ---------------------------------------------------------------
for engine in ebpf preload; do
  prog=$FX/diamond
  [ "$engine" = preload ] && prog=$FX/cgo  # its runtime maps memory through libc
  [ -e "$prog" ] || die "fixture $prog missing"
  "$R" run --engine "$engine" -e trace=%memory -o "$TMP/$engine.jsonl" -- "$prog" > /dev/null 2>"$TMP/$engine.err"
  rc=$?
  if [ "$rc" -eq 4 ]; then
    echo "skipped: -e trace= with --engine $engine: $(cat "$TMP/$engine.err")"
    continue
  fi
  [ "$rc" -eq 0 ] || die "--engine $engine -e trace=%memory: exit $rc: $(cat "$TMP/$engine.err")"
  got=$(names "$TMP/$engine.jsonl")
  for n in $got; do
    case $n in brk|mmap|munmap|mremap|mprotect|madvise) ;; *) die "--engine $engine -e trace=%memory recorded '$n'" ;; esac
  done
  [ -n "$got" ] || die "--engine $engine -e trace=%memory recorded no syscall"
  jq -s -e '.[0].syscall_filter == "%memory"' "$TMP/$engine.jsonl" >/dev/null || die "--engine $engine: the header does not name the filter"
  pass "--engine $engine -e trace=%memory: only $got"
done

# --- bad sets: one message, exit 2, no trace --------------------------------------------------------------
expect_error 2 "rt0trace: -e trace=nosuch: 'nosuch' is neither a syscall of this machine nor a class (%file, %desc, %network, %process, %signal, %memory, %ipc, %creds)" \
  "unknown syscall" -- "$R" run -e trace=nosuch -o "$TMP/bad.jsonl" -- /bin/true
expect_error 2 "rt0trace: -e read=3: only trace=SET is supported (strace's other qualifiers are not)" \
  "another qualifier" -- "$R" run -e read=3 -o "$TMP/bad.jsonl" -- /bin/true
expect_error 2 "rt0trace: -e trace= names no syscalls (give names or classes, or 'none')" \
  "an empty set" -- "$R" run -e trace= -o "$TMP/bad.jsonl" -- /bin/true
expect_error 2 "rt0trace: -e trace=openat,,read: an empty item" \
  "an empty item" -- "$R" run -e trace=openat,,read -o "$TMP/bad.jsonl" -- /bin/true
expect_exit 2 "two sets" -- "$R" run -e trace=openat --trace read -o "$TMP/bad.jsonl" -- /bin/true
[ ! -e "$TMP/bad.jsonl" ] || die "a bad set left a trace file"
finish
