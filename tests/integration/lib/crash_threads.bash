# Shared by crash_threads_*.sh. "No silent false pass": a 4-thread C program (crash_threads/threads.c,
# built here) whose thread #2
# dereferences NULL must fail the "no crash" check (report exit 1, "✗ no crash") under every engine —
# the ptrace engine through its crash event, the eBPF and preload engines, which write no crash event,
# through the process's exit by SIGSEGV (and the eBPF engine's signal event). A process killed by
# SIGKILL did not crash but did not end by itself: "– no crash: not observed" (exit 0), never ✓.
# Sourced by crash_threads_<engine>.sh after lib/common.bash with ENGINES set: one CTest test per
# engine, skipped (77) with the engine's own reason when it cannot run here.

R=$RT0TRACE
command -v gcc >/dev/null || skip "gcc is not installed"
gcc -O1 -pthread -o "$TMP/threads" "$RT0_SRC/tests/integration/crash_threads/threads.c" || die "cannot build threads.c"

ran=0 skipped=()
for engine in $ENGINES; do
  timeout 120 "$R" run --engine "$engine" -o "$TMP/$engine-probe.jsonl" -- /bin/true >/dev/null 2>"$TMP/$engine-probe.err"
  if [ $? -eq 4 ]; then
    skipped+=("$engine engine cannot run here: $(cat "$TMP/$engine-probe.err")")
    continue
  fi
  ran=$((ran + 1))

  timeout 120 "$R" run --engine "$engine" -o "$TMP/$engine-segv.jsonl" -- "$TMP/threads" segv >/dev/null 2>"$TMP/err"
  rc=$?
  [ $rc -eq 139 ] || die "$engine: run of a program killed by SIGSEGV exited $rc, want 139: $(head -c 300 "$TMP/err")"
  for fmt in text json html; do
    "$R" report --format "$fmt" -o "$TMP/$engine-segv.$fmt" "$TMP/$engine-segv.jsonl" 2>"$TMP/err"
    rc=$?
    [ $rc -eq 1 ] || die "$engine: report --format $fmt of a SIGSEGV in a thread exited $rc, want 1 (a failed check): $(cat "$TMP/err")"
  done
  grep -q '^  ✗ no crash: .*SIGSEGV' "$TMP/$engine-segv.text" ||
    die "$engine: no '✗ no crash … SIGSEGV': $(grep 'no crash' "$TMP/$engine-segv.text")"
  ! grep -q '✓ no crash' "$TMP/$engine-segv.text" || die "$engine: '✓ no crash' for a program killed by SIGSEGV"
  grep -q '^CRASH in ' "$TMP/$engine-segv.text" || die "$engine: no CRASH section"
  jq -e '.crash.signal == "SIGSEGV" and ([.checks[] | select(.name == "no crash")][0].status == "fail")' \
    "$TMP/$engine-segv.json" >/dev/null || die "$engine: json: $(jq -c '{crash, checks}' "$TMP/$engine-segv.json")"
  grep -q '<section id="crash">' "$TMP/$engine-segv.html" || die "$engine: the html report has no crash section"
  pass "$engine: SIGSEGV in 1 of 4 threads: ✗ no crash ($(grep -o 'no crash: .*' "$TMP/$engine-segv.text")), report exit 1"

  timeout 120 "$R" run --engine "$engine" -o "$TMP/$engine-kill.jsonl" -- "$TMP/threads" kill >/dev/null 2>"$TMP/err"
  rc=$?
  [ $rc -eq 137 ] || die "$engine: run of a program killed by SIGKILL exited $rc, want 137"
  "$R" report -o "$TMP/$engine-kill.text" "$TMP/$engine-kill.jsonl"
  rc=$?
  [ $rc -eq 0 ] || die "$engine: report of a program killed by SIGKILL exited $rc, want 0: $(grep '✗' "$TMP/$engine-kill.text")"
  grep -q '^  – no crash: not observed: killed by SIGKILL' "$TMP/$engine-kill.text" ||
    die "$engine: SIGKILL: $(grep 'no crash' "$TMP/$engine-kill.text")"
  "$R" report --format json "$TMP/$engine-kill.jsonl" | jq -e '.crash == null and
    ([.checks[] | select(.name == "no crash")][0] | .status == "not observed" and .ok == false)' >/dev/null ||
    die "$engine: SIGKILL: json check is not 'not observed'"
  pass "$engine: SIGKILL: '– no crash: not observed: killed by SIGKILL …', not ✓ and not a crash; report exit 0"

  timeout 120 "$R" run --engine "$engine" -o "$TMP/$engine-ok.jsonl" -- "$TMP/threads" ok >/dev/null 2>"$TMP/err" ||
    die "$engine: the clean run failed"
  "$R" report -o "$TMP/$engine-ok.text" "$TMP/$engine-ok.jsonl"
  grep -q '^  ✓ no crash: exited with status 0' "$TMP/$engine-ok.text" || die "$engine: clean run: $(grep 'no crash' "$TMP/$engine-ok.text")"
  pass "$engine: the same program without the fault: ✓ no crash"

  # A Go program's nil dereference becomes a panic (exit 2) under an engine that writes no crash event:
  # the SIGSEGV signal event before it fails the check; a panic without a signal is "not observed".
  if [ "$engine" = ebpf ] && [ -x "$RT0_FIXTURES/crash" ]; then
    RT0_CRASH=nil timeout 120 "$R" run --engine ebpf -o "$TMP/go-nil.jsonl" -- "$RT0_FIXTURES/crash" >/dev/null 2>&1
    [ $? -eq 2 ] || die "ebpf: Go nil dereference: run did not exit 2"
    "$R" report -o "$TMP/go-nil.text" "$TMP/go-nil.jsonl"
    grep -q '^  ✗ no crash: SIGSEGV in init example.com/crash/boom, .*then exit status 2' "$TMP/go-nil.text" ||
      die "ebpf: Go nil dereference: $(grep 'no crash' "$TMP/go-nil.text")"
    RT0_CRASH=panic timeout 120 "$R" run --engine ebpf -o "$TMP/go-panic.jsonl" -- "$RT0_FIXTURES/crash" >/dev/null 2>&1
    "$R" report -o "$TMP/go-panic.text" "$TMP/go-panic.jsonl"
    grep -q '^  – no crash: not observed: exited with status 2' "$TMP/go-panic.text" ||
      die "ebpf: Go panic: $(grep 'no crash' "$TMP/go-panic.text")"
    pass "ebpf: Go nil dereference in init: ✗ no crash (SIGSEGV, then exit 2); a Go panic: – not observed, never ✓"
  fi
done
[ $ran -gt 0 ] || skip "the ${skipped[*]}"
finish
