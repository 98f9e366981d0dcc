#!/usr/bin/env bash
# Deliberate crashes before and in main, traced with the ptrace engine: the report's crash section names
# the phase, the package (Go) and the function, and the crashing thread's backtrace has the faulting
# function by name — for Go matching the program's own traceback (function, file:line). The program's
# exit status and stderr are the same traced and untraced.
. "$(dirname "$0")/lib/common.bash"
need_fixture crash
need_fixture ccrash
R=$RT0TRACE
FX=$RT0_FIXTURES
need_ptrace

# crash_case NAME MODE PROGRAM: runs PROGRAM with RT0_CRASH=MODE untraced and traced; same status and
# stderr; the report (exit 1: the "no crash" check fails) in $TMP/NAME.json.
crash_case() {
  local name=$1 mode=$2 prog=$3
  RT0_CRASH=$mode "$prog" >"$TMP/$name.out.plain" 2>"$TMP/$name.err.plain"
  local want=$?
  RT0_CRASH=$mode "$R" run -o "$TMP/$name.jsonl" -- "$prog" >"$TMP/$name.out.traced" 2>"$TMP/$name.err.traced"
  local got=$?
  [ "$want" -ne 0 ] || die "$name: the fixture did not fail untraced"
  [ "$got" -eq "$want" ] || die "$name: traced exit $got, untraced $want"
  diff -u "$TMP/$name.err.plain" "$TMP/$name.err.traced" >&2 || die "$name: traced stderr differs from untraced"
  diff -u "$TMP/$name.out.plain" "$TMP/$name.out.traced" >&2 || die "$name: traced stdout differs from untraced"
  "$R" report --format json -o "$TMP/$name.json" "$TMP/$name.jsonl"
  local rc=$?
  [ "$rc" -eq 1 ] || die "$name: report exit $rc, want 1 (the no-crash check fails)"
  jq -e '.crash != null and ([.checks[] | select(.name == "no crash")][0].ok == false)' "$TMP/$name.json" >/dev/null \
    || die "$name: no crash section: $(jq -c '{crash, checks}' "$TMP/$name.json")"
  "$R" report -o "$TMP/$name.txt" "$TMP/$name.jsonl"
  grep -q '^CRASH in ' "$TMP/$name.txt" || die "$name: the text report has no CRASH section"
}

# expect_crash NAME JQ-FILTER DESCRIPTION: the crash object satisfies the filter.
expect_crash() {
  jq -e ".crash | $2" "$TMP/$1.json" >/dev/null || die "$1: $3: $(jq -c '.crash | del(.registers, .stderr) | .backtrace |= .[0:1]' "$TMP/$1.json")"
}

# Go's own traceback of the dying goroutine, as "function file:line" lines (the oracle).
go_traceback() {
  awk '/^goroutine [0-9]+ \[/ {on = 1; next} on && /^$/ {exit} on && /^[^\t]/ {fn = $0; sub(/\(.*$/, "", fn)}
       on && /^\t/ {split($1, a, ":"); print fn, a[1] ":" a[2]}' "$1" | sed 's/ +0x[0-9a-f]*$//'
}

# ours: the crashing thread's frames from the faulting function on, as "function file:line" (ABI
# suffix dropped, runtime frames below the first user frame kept out as Go's traceback does).
our_frames() {
  jq -r --arg first "$2" '.crash.backtrace[0].frames | (map(.symbol) | index($first)) as $i | .[$i:][]
      | select(.symbol | startswith("runtime.") | not) | "\(.symbol | sub("\\.abi0$"; "")) \(.file):\(.line)"' "$1"
}

PKG=example.com/crash/boom
for mode in nil panic asm; do
  name=go-$mode
  crash_case "$name" "$mode" "$FX/crash"
  case $mode in
    nil) fn=$PKG.derefNil sig='"SIGSEGV"' ;;
    panic) fn=$PKG.deliberatePanic sig=null ;;
    asm) fn=$PKG.loadZero.abi0 sig='"SIGSEGV"' ;;
  esac
  expect_crash "$name" ".phase == \"init $PKG\" and .package == \"$PKG\"" "phase/package"
  expect_crash "$name" ".function == \"$fn\" and .signal == $sig" "function $fn, signal $sig"
  expect_crash "$name" '.fatal_function == "runtime.fatalpanic"' "the Go fatal path (fatalpanic) was caught"
  expect_crash "$name" "[.backtrace[0].frames[].symbol] | index(\"$fn\") != null and index(\"$PKG.init.0\") != null" \
    "the backtrace has $fn and the init function"
  expect_crash "$name" '(.backtrace | length) >= 2 and all(.backtrace[]; (.frames | length) >= 1)' "every thread unwound"
  # The panic message is the program's own first stderr line.
  want_panic=$(head -n 1 "$TMP/$name.err.plain")
  [ "$(jq -r '.crash.panic | split("\n")[0]' "$TMP/$name.json")" = "$want_panic" ] \
    || die "$name: panic '$(jq -r '.crash.panic' "$TMP/$name.json")', the program said '$want_panic'"
  # Go's traceback (function and file:line of each user frame) is a suffix-free match of ours.
  go_traceback "$TMP/$name.err.plain" | grep -v '^runtime\.' > "$TMP/$name.go.frames"
  first=$(jq -r '.crash.function' "$TMP/$name.json")
  our_frames "$TMP/$name.json" "$first" > "$TMP/$name.our.frames"
  [ -s "$TMP/$name.go.frames" ] || die "$name: no traceback in the program's stderr"
  diff -u "$TMP/$name.go.frames" "$TMP/$name.our.frames" >&2 || die "$name: our backtrace differs from Go's own traceback"
  pass "$name: crash in init $PKG at $fn ($(jq -r '.crash.signal // "panic"' "$TMP/$name.json")); backtrace = Go's traceback ($(wc -l < "$TMP/$name.go.frames") user frames); status and stderr as untraced"
done

# The panicking goroutine can reach the fatal path on another thread than the one that faulted (it was
# preempted and moved, seen on a busy machine): the fatal path's backtrace through runtime.sigpanic
# ties the two; without sigpanic in it, the signal is not the fatal path's.
jq -c --arg tid 999999 'if .type == "crash" and .function == "runtime.fatalpanic" then .tid = ($tid | tonumber) | .backtrace[0].tid = ($tid | tonumber) else . end' \
  "$TMP/go-asm.jsonl" > "$TMP/moved.jsonl"
"$R" report --format json -o "$TMP/moved.json" "$TMP/moved.jsonl"
[ "$(jq -r '.crash.signal' "$TMP/moved.json")" = SIGSEGV ] || die "moved goroutine: signal $(jq -c '.crash.signal' "$TMP/moved.json"), not SIGSEGV"
jq -c 'if .type == "crash" and .function == "runtime.fatalpanic" then .backtrace[0].frames |= map(select(.symbol != "runtime.sigpanic")) else . end' \
  "$TMP/moved.jsonl" > "$TMP/moved2.jsonl"
"$R" report --format json -o "$TMP/moved2.json" "$TMP/moved2.jsonl"
[ "$(jq -r '.crash.signal' "$TMP/moved2.json")" = null ] || die "a fatal path not from sigpanic took another thread's signal"
pass "a fatal path reached on another thread than the fault keeps the fault's signal (through runtime.sigpanic), and only then"

# A throw (fatalthrow) rather than a panic: every goroutine blocked during an init.
crash_case go-block block "$FX/crash"
expect_crash go-block ".phase == \"init $PKG\" and .package == \"$PKG\" and .signal == null" "phase/package"
expect_crash go-block '.fatal_function == "runtime.fatalthrow" and (.panic | startswith("fatal error: all goroutines are asleep"))' \
  "fatalthrow with the program's fatal error line"
pass "go-block: fatal error (deadlock) in init $PKG caught at runtime.fatalthrow; status and stderr as untraced"

# C: a constructor (.init_array) that segfaults, and abort() called from main through give_up().
crash_case c-ctor ctor "$FX/ccrash"
expect_crash c-ctor '.phase == "init crash_ctor" and .package == null and .signal == "SIGSEGV" and .addr == "0x0"' "phase/signal"
expect_crash c-ctor '.function == "crash_ctor" and .backtrace[0].frames[0].symbol == "crash_ctor"' "faulting function first"
expect_crash c-ctor '.backtrace[0].frames[0].file | endswith("ccrash.c")' "file:line from DWARF"
pass "c-ctor: SIGSEGV in .init_array's crash_ctor, frame #0 crash_ctor ($(jq -r '.crash.backtrace[0].frames[0] | "\(.file | split("/") | last):\(.line)"' "$TMP/c-ctor.json")); status 139 and stderr as untraced"

crash_case c-abort abort "$FX/ccrash"
expect_crash c-abort '.phase == "main" and .signal == "SIGABRT" and .function == "give_up"' "phase/signal/function"
expect_crash c-abort '[.backtrace[0].frames[].symbol] as $s | ($s | index("abort")) < ($s | index("give_up")) and ($s | index("give_up")) < ($s | index("main"))' \
  "abort > give_up > main in the backtrace"
expect_crash c-abort '.stderr | contains("giving up")' "the stderr tail is kept"
pass "c-abort: SIGABRT in main, backtrace abort > give_up > main; stderr tail kept; status 134 and stderr as untraced"

# The stderr tail is the END of what was written, also when one write is larger than the 4 KiB kept.
if command -v python3 >/dev/null; then
  "$R" run -o "$TMP/big.jsonl" -- python3 -c 'import os, sys; sys.stderr.write("a" * 6000 + "\nEND-OF-TAIL\n"); sys.stderr.flush(); os.abort()' 2>/dev/null
  [ $? -eq 134 ] || die "big stderr: python3 did not abort"
  jq -e -s '[.[] | select(.type == "stderr")][0].tail | length == 4096 and endswith("aaa\nEND-OF-TAIL\n")' "$TMP/big.jsonl" >/dev/null \
    || die "big stderr: the tail is not the last 4096 bytes: $(jq -c -s '[.[] | select(.type == "stderr")][0].tail[-40:]' "$TMP/big.jsonl")"
  pass "a 6 KiB write to stderr before abort: the tail holds its last 4096 bytes"
else
  echo "note: python3 missing, the large-write tail check did not run"
fi

# A fault the program survives is no crash: the crash fixture without RT0_CRASH exits 0 and so does the report.
"$R" run -o "$TMP/ok.jsonl" -- "$FX/crash" >/dev/null 2>&1 || die "crash fixture without RT0_CRASH failed"
"$R" report --format json -o "$TMP/ok.json" "$TMP/ok.jsonl" || die "report of a clean run exit $?"
jq -e '.crash == null and ([.checks[] | select(.name == "no crash")][0].ok)' "$TMP/ok.json" >/dev/null || die "clean run shows a crash"
pass "clean run: crash null, no-crash check passes"
finish
