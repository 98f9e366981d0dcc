# The engine checks every tracing engine must pass (sourced by run.sh for ptrace, ebpf.sh for ebpf):
# every check passes on the Go fixtures (cgo: entered through libc's _start); observed init order == placed == the program's own
# GODEBUG=inittrace=1; text at the ELF address (+bias for PIE) at main.main; the syscall set equals
# strace -f's; goroutines in init lose no probe; a C program's constructors; --until main, signals and
# SIGINT leave the program's output and status untouched; -p attaches mid-init.
# Sourced after lib/common.bash: it skips when a fixture or strace is missing, and sets R, FX, STRACE.
# engine_checks needs ENGINE (an array of run options, e.g. (--engine ebpf)).
need_fixture goinit
need_fixture cprog
R=$RT0TRACE
FX=$RT0_FIXTURES
STRACE=$(command -v strace) || skip "strace is not installed (scripts/setup installs it)"

# traced_program_matches NAME PROGRAM ARGS...: stdout+stderr and exit status equal traced (ENGINE, trace
# in $TMP/NAME.jsonl) and untraced. Run in the current directory.
traced_program_matches() {
  local name=$1 prog=$2
  shift 2
  "$prog" "$@" > "$TMP/$name.plain" 2>&1 </dev/null
  local want=$?
  "$R" run "${ENGINE[@]}" -o "$TMP/$name.jsonl" -- "$prog" "$@" > "$TMP/$name.traced" 2>&1 </dev/null
  local got=$?
  [ "$got" -eq "$want" ] || die "$name: traced exit $got, untraced $want"
  diff -u "$TMP/$name.plain" "$TMP/$name.traced" >&2 || die "$name: traced output differs from untraced"
}
traced_matches_untraced() { # NAME ARGS...: the fixture NAME, as traced_program_matches
  local name=$1
  shift
  traced_program_matches "$name" "$FX/$name" "$@"
}

# go_program_checks NAME PROGRAM ARGS...: a Go program traced by ENGINE runs as untraced, its report's 8
# checks pass (complete, nothing lost, observed init order == the placed one), the observed order equals
# its own GODEBUG=inittrace=1, and main.main's snapshot has the text where the ELF puts it (+ the load
# bias). Leaves $TMP/NAME.report.json and $TMP/NAME.observed; the caller says what passed.
go_program_checks() {
  local f=$1 prog=$2
  shift 2
  traced_program_matches "$f" "$prog" "$@"
  "$R" report --format json -o "$TMP/$f.report.json" "$TMP/$f.jsonl" || die "$f: report exit $? (a check failed): $(jq -c '[.checks[]|select(.ok|not)]' "$TMP/$f.report.json")"
  jq -e '.complete and .lost == 0 and .init_order.match and (.checks|length) == 8 and (.checks|all(.ok))' "$TMP/$f.report.json" >/dev/null \
    || die "$f: report: $(jq -c '{complete, lost, init: .init_order.match, checks}' "$TMP/$f.report.json")"
  jq -r '.init_order.observed[]' "$TMP/$f.report.json" > "$TMP/$f.observed"
  inittrace_order "$prog" "$@" > "$TMP/$f.inittrace"
  diff -u "$TMP/$f.inittrace" "$TMP/$f.observed" >&2 || die "$f: observed init order differs from GODEBUG=inittrace=1"
  # main.main's snapshot: the text segment where the ELF puts it, plus the load bias
  local vaddr bias want got
  vaddr=$(jq -r '.binary.segments[] | select(.flags == "r-x") | .vaddr' "$TMP/$f.report.json")
  bias=$(jq -r '.binary.bias' "$TMP/$f.report.json")
  want=$(printf '0x%x' $(( (vaddr + bias) & ~0xfff )))
  got=$(jq -r '.layout_at as $at | [.layout[] | select(.kind == "text")][0].start + " " + $at' "$TMP/$f.report.json")
  [ "$got" = "$want main.main" ] || die "$f: text at main.main is '$got', the ELF says $want"
}

engine_checks() {
  TIMING='^(futex|nanosleep|clock_nanosleep|sched_yield|restart_syscall|epoll_pwait|epoll_wait|tgkill|getpid|gettid|rt_sigreturn|madvise|sigaltstack|rt_sigprocmask|clone|clone3|mmap|munmap|mprotect)$'

  for f in diamond asm embed vendored goinit diamond-pie cgo; do
    need_fixture "$f"
    go_program_checks "$f" "$FX/$f"
    pass "$f: output and status as untraced; all 8 checks pass; observed = placed = inittrace ($(wc -l < "$TMP/$f.observed") packages)"
  done
  # --- each phase's CPU time and wait for a CPU (the thread's scheduler account at its probes) -----------
  jq -e '(.phases | length) > 5 and (.phases[:-1] | all(has("cpu_ns") and has("wait_ns")))
         and (.phases[-1] | has("cpu_ns") | not)
         and ([.phases[:-1][] | select(.cpu_ns > .dur_ns + 1000000)] | length) == 0
         and ([.phases[:-1][] | .cpu_ns] | add) > 0
         and .rusage.utime_ns + .rusage.stime_ns > 0 and .rss_at_main_kb > 0 and (.engine != "ptrace" or .peak_rss_kb >= .rss_at_main_kb)' \
    "$TMP/diamond.report.json" >/dev/null \
    || die "diamond: phase CPU accounts: $(jq -c '{p: [.phases[] | {name, dur_ns, cpu_ns, wait_ns}], rusage, rss_at_main_kb}' "$TMP/diamond.report.json")"
  pass "every phase before main.main has its thread's CPU time and runqueue wait, none more CPU than wall time; the run's rusage and RSS at main"

  bias=$(jq -r '.binary.bias' "$TMP/diamond-pie.report.json")
  [ "$bias" != "0x0" ] || die "the PIE fixture was loaded without a bias: the PIE path is untested"
  pass "PIE: loaded with bias $bias, text found at vaddr + bias"

  # --- the syscall set equals strace -f's ---------------------------------------------------------------
  for prog in diamond cprog; do
    "$STRACE" -f -qq -o "$TMP/$prog.strace" "$FX/$prog" >/dev/null 2>&1
    sed -E -n 's/^[0-9]+ +([a-z_0-9]+)\(.*/\1/p; s/^[0-9]+ +<\.\.\. ([a-z_0-9]+) resumed>.*/\1/p' "$TMP/$prog.strace" | sort -u | grep -Ev "$TIMING" > "$TMP/$prog.set.strace"
    "$R" run "${ENGINE[@]}" -o "$TMP/$prog.set.jsonl" -- "$FX/$prog" >/dev/null 2>&1
    jq -r 'select(.type == "syscall") | .name' "$TMP/$prog.set.jsonl" | sort -u | grep -Ev "$TIMING" > "$TMP/$prog.set.mine"
    [ "$(wc -l < "$TMP/$prog.set.mine")" -ge 5 ] || die "$prog: too few syscalls recorded"
    diff -u "$TMP/$prog.set.strace" "$TMP/$prog.set.mine" >&2 || die "$prog: the syscall set differs from strace -f"
    pass "$prog: the set of syscall names equals strace -f's ($(wc -l < "$TMP/$prog.set.mine") names, timing-dependent ones aside)"
  done

  # --- a C program: entry, constructors, main --------------------------------------------------------------
  traced_matches_untraced cprog 5
  "$R" report --format json -o "$TMP/cprog.report.json" "$TMP/cprog.jsonl"
  [ $? -eq 0 ] || die "cprog: a check failed: $(jq -c '[.checks[]|select(.ok|not)]' "$TMP/cprog.report.json")"
  jq -e '.init_order.observed[0:2] == ["ctor_first", "ctor_second"] and .exit.status == 5
         and ([.phases[].name] | index("main")) != null' "$TMP/cprog.report.json" >/dev/null \
    || die "cprog: $(jq -c '{io: .init_order, exit, phases: [.phases[].name]}' "$TMP/cprog.report.json")"
  pass "C program: constructors observed in .init_array order, then main; exit status 5 passed through"

  # --- goroutines in init: no lost probe, no crash event, output as untraced (several runs) ---------------
  for i in 1 2 3 4 5; do
    traced_matches_untraced goinit
    planned=$(jq -s '[.[0].binary.probes[] | select(.role != "fatal")] | length' "$TMP/goinit.jsonl")  # the fatal path is never entered here
    hit=$(jq -s '[.[] | select(.type == "probe")] | length' "$TMP/goinit.jsonl")
    [ "$planned" -eq "$hit" ] || die "goinit run $i: $hit of $planned probes hit"
    ! grep -q '"type":"crash"' "$TMP/goinit.jsonl" || die "goinit run $i: a crash event in a clean run"
    threads=$(jq -s '[.[] | select(.type == "clone")] | length' "$TMP/goinit.jsonl")
    [ "$threads" -ge 4 ] || die "goinit run $i: only $threads threads: the test does not exercise threads"
  done
  pass "goroutines in init: all $planned probes hit with $threads+ threads, 5 runs, output as untraced"

  # --- --until main ---------------------------------------------------------------------------------------
  "$FX/diamond" fail > "$TMP/until.plain" 2>&1
  want=$?
  "$R" run "${ENGINE[@]}" --until main -o "$TMP/until.jsonl" -- "$FX/diamond" fail > "$TMP/until.traced" 2>&1
  got=$?
  [ "$got" -eq "$want" ] || die "--until main: exit $got, untraced $want"
  diff -u "$TMP/until.plain" "$TMP/until.traced" >&2 || die "--until main: output differs"
  jq -s -e '(map(select(.type == "probe")) | last | .symbol) == "main.main" and (last | .type == "footer")
            and (map(select(.type == "syscall" and .name == "write")) | length) == 0' "$TMP/until.jsonl" >/dev/null \
    || die "--until main: the trace does not end at main.main"
  pass "--until main: detached at main.main; output and exit status ($want) as untraced"

  # --- signals reach the program; rt0trace exits 128+signal ---------------------------------------------
  expect_exit 143 "a program killed by SIGTERM" -- "$R" run "${ENGINE[@]}" -o "$TMP/sig.jsonl" -- /bin/sh -c 'kill -TERM $$'
  jq -s -e 'map(select(.type == "signal" and .name == "TERM")) | length == 1' "$TMP/sig.jsonl" >/dev/null || die "no TERM signal event"
  jq -s -e 'map(select(.type == "exit")) | last | .signal == 15' "$TMP/sig.jsonl" >/dev/null || die "no exit event with signal 15"

  # --- SIGINT to rt0trace: detach (or kill, --kill-on-exit), incomplete footer, exit 130 --------------
  for koe in "" --kill-on-exit; do
    "$R" run "${ENGINE[@]}" $koe -o "$TMP/int.jsonl" -- /bin/sh -c 'sleep 2; echo done' > "$TMP/int.out" 2>&1 &
    rpid=$!
    sleep 0.5
    kill -INT "$rpid"
    wait "$rpid"
    rc=$?
    [ "$rc" -eq 130 ] || die "SIGINT ${koe:-(detach)}: rt0trace exited $rc, want 130"
    tail -n 1 "$TMP/int.jsonl" | jq -e '.type == "footer" and .complete == false' >/dev/null || die "SIGINT ${koe:-(detach)}: footer is not incomplete"
    sleep 2
    if [ -z "$koe" ]; then
      grep -q '^done$' "$TMP/int.out" || die "SIGINT: the detached program did not go on"
    else
      ! grep -q '^done$' "$TMP/int.out" || die "SIGINT --kill-on-exit: the program was not killed"
    fi
  done
  expect_exit 1 "report of an interrupted trace (a check fails)" -- "$R" report "$TMP/int.jsonl"
  grep -q 'PARTIAL TRACE' "$TMP/out" || die "the report of an interrupted trace does not say it is partial"
  pass "SIGINT: rt0trace detaches (the program finishes on its own) or, with --kill-on-exit, kills it; complete:false, exit 130 either way"

  # --- -p PID: attach to a running process ---------------------------------------------------------------
  need_fixture spin
  RT0_SPIN_MS=0 "$FX/spin" > "$TMP/spin.plain"
  RT0_SPIN_MS=1500 "$FX/spin" > "$TMP/spin.out" &
  spid=$!
  sleep 0.5
  "$R" run "${ENGINE[@]}" -p "$spid" -o "$TMP/attach.jsonl" > "$TMP/attach.rt" 2>&1
  rc=$?
  wait "$spid"
  prc=$?
  [ "$rc" -eq 0 ] && [ "$prc" -eq 0 ] || die "attach: rt0trace exit $rc, program exit $prc: $(cat "$TMP/attach.rt")"
  diff -u "$TMP/spin.plain" "$TMP/spin.out" >&2 || die "attach: the program's output changed"
  "$R" report --format json -o "$TMP/attach.report.json" "$TMP/attach.jsonl" || die "attach: a check failed: $(jq -c '[.checks[]|select(.ok|not)]' "$TMP/attach.report.json")"
  jq -e '.attached and .init_order.match and (.past_at_attach | index("runtime.main")) != null
         and (.past_at_attach | index("example.com/spin/slow")) != null
         and (.init_order.observed | index("example.com/spin/slow")) == null and (.init_order.observed | length) >= 1
         and ([.phases[].name] | index("main.main")) != null and .exit.status == 0' "$TMP/attach.report.json" >/dev/null \
    || die "attach: $(jq -c '{attached, past_at_attach, io: .init_order, exit}' "$TMP/attach.report.json")"
  pass "-p PID during a spinning init: past phases and packages read from the runtime, the rest observed in placed order"
  sleep 1 &
  spid=$!
  "$R" run "${ENGINE[@]}" -p "$spid" -o "$TMP/attach-c.jsonl" > /dev/null 2>&1 || die "attach to sleep failed"
  jq -s -e '(.[0].binary.attached == true) and (map(select(.type == "exit")) | length == 1)
            and (map(select(.type == "syscall" and .name == "exit_group")) | length == 1)' "$TMP/attach-c.jsonl" >/dev/null \
    || die "attach to sleep: no exit recorded"
  pass "-p PID on a C program: everything before attach is past, the rest to its exit is recorded"

  many_checks
}

# Many threads and processes: a tracer that keeps its threads in a growable array must survive the array
# moving under a clone (the ptrace engine once hung on the 9th thread). `timeout` turns a hang into a
# failure; it judges nothing else. Sets nothing; needs R, FX, ENGINE.
many_checks() {
  need_fixture cmany
  need_fixture many
  timeout 300 "$R" run "${ENGINE[@]}" -o "$TMP/threads.jsonl" -- "$FX/cmany" threads 64 > "$TMP/threads.out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && [ "$(cat "$TMP/threads.out")" = "threads 64" ] || die "64 threads: exit $rc (124: hung), output: $(head -c 300 "$TMP/threads.out")"
  jq -s -e '(map(select(.type == "clone" and .kind == "thread")) | length) == 64 and last.type == "footer" and last.complete'     "$TMP/threads.jsonl" >/dev/null || die "64 threads: the trace does not hold 64 thread clones and a complete footer"
  "$R" report "$TMP/threads.jsonl" > "$TMP/threads.report" || die "64 threads: report exit $?: $(grep '✗' "$TMP/threads.report")"
  pass "64 threads: no hang, 64 thread clones recorded, the report's checks pass"

  timeout 300 "$R" run "${ENGINE[@]}" -f -o "$TMP/forks.jsonl" -- "$FX/cmany" forks 200 > "$TMP/forks.out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && [ "$(cat "$TMP/forks.out")" = "forks 200" ] || die "200 forks (-f): exit $rc (124: hung), output: $(head -c 300 "$TMP/forks.out")"
  jq -s -e '(map(select(.type == "clone" and .kind == "fork")) | length) == 200 and last.type == "footer" and last.complete'     "$TMP/forks.jsonl" >/dev/null || die "200 forks (-f): the trace does not hold 200 fork clones and a complete footer"
  "$R" report "$TMP/forks.jsonl" > "$TMP/forks.report" || die "200 forks: report exit $?: $(grep '✗' "$TMP/forks.report")"
  pass "200 forks with -f: no hang, 200 forks recorded, every child's status as expected, the report's checks pass"

  RT0_MANY_THREADS=32 GOMAXPROCS=32 timeout 300 "$R" run "${ENGINE[@]}" -o "$TMP/many.jsonl" -- "$FX/many" > "$TMP/many.out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && grep -q '^many: 32 threads, GOMAXPROCS 32$' "$TMP/many.out" || die "Go, GOMAXPROCS=32: exit $rc (124: hung), output: $(head -c 300 "$TMP/many.out")"
  n=$(jq -s 'map(select(.type == "clone" and .kind == "thread")) | length' "$TMP/many.jsonl")
  [ "$n" -ge 32 ] || die "Go, GOMAXPROCS=32: only $n thread clones recorded"
  "$R" report "$TMP/many.jsonl" > "$TMP/many.report" || die "Go, GOMAXPROCS=32: report exit $?: $(grep '✗' "$TMP/many.report")"
  pass "Go with GOMAXPROCS=32 and 32 goroutines locked to threads: no hang, $n threads recorded, the report's checks pass"
}

# How every engine starts the program (rt_spawn through libexec/rt0exec): argv[0] and the environment
# as given; no descriptor of rt0trace's left in the program but the engine's own (the preload engine's
# two, named in RT0_PRELOAD); an exec that fails is exit 3 with the kernel's reason and no trace; a
# missing starter is exit 4. Needs ENGINE.
start_checks() {
  local fds want
  RT0_START_CHECK=yes "$R" run "${ENGINE[@]}" -o "$TMP/start.jsonl" -- /bin/sh -c \
    'echo "$0 $RT0_START_CHECK"; echo "${RT0_PRELOAD:-}"; ls /proc/$$/fd' > "$TMP/start.out" 2>&1 \
    || die "start: exit $?: $(cat "$TMP/start.out")"
  [ "$(sed -n 1p "$TMP/start.out")" = "/bin/sh yes" ] || die "start: argv[0] or the environment changed: $(sed -n 1p "$TMP/start.out")"
  # what the program gets untraced (this shell's open descriptors), plus the preload engine's two
  # (version:WFD:dev:ino:LFD:... in RT0_PRELOAD)
  fds=$(tail -n +3 "$TMP/start.out" | sort -n | tr '\n' ' ')
  want=$( { /bin/sh -c 'ls /proc/$$/fd'; [ "${ENGINE[1]}" != preload ] || sed -n 2p "$TMP/start.out" | cut -d: -f2,5 | tr : '\n'; } \
    | sort -n | tr '\n' ' ')
  [ "$fds" = "$want" ] || die "start: the program's descriptors are '$fds', want '$want'"
  printf '\x7fELF-not-really' > "$TMP/badexec" && chmod 755 "$TMP/badexec"
  expect_error 3 "rt0trace: cannot execute '$TMP/badexec': Exec format error" "start: an exec that fails" -- \
    "$R" run "${ENGINE[@]}" -o "$TMP/bad.jsonl" -- "$TMP/badexec"
  [ ! -e "$TMP/bad.jsonl" ] || die "start: a trace file was left for a program whose exec failed"
  RT0_EXEC_HELPER=$TMP/no-rt0exec expect_error 4 "rt0trace: cannot use the program starter '$TMP/no-rt0exec' (\$RT0_EXEC_HELPER): No such file or directory" \
    "start: a missing starter" -- "$R" run "${ENGINE[@]}" -o "$TMP/bad.jsonl" -- /bin/true
  pass "start (rt0exec): argv[0], environment and descriptors as given; a failed exec exit 3, a missing starter exit 4"
}
