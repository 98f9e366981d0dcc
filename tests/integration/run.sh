#!/usr/bin/env bash
# rt0trace run (ptrace) + report: every check passes on the Go fixtures; observed init order == placed
# == the program's own GODEBUG=inittrace=1; text at the ELF address (+bias for PIE) at main.main; the
# syscall set equals strace -f's; goroutines in init lose no probe; --until main and signals leave the
# program's output and status untouched; bad inputs give one message and the documented exit code.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/engine_checks.bash"
need_ptrace

ENGINE=(--engine ptrace)
engine_checks
start_checks

# --- bad inputs ------------------------------------------------------------------------------------------
expect_error 3 "rt0trace: cannot execute '$TMP/nope': No such file or directory" "missing program" -- "$R" run -o "$TMP/x.jsonl" -- "$TMP/nope"
[ ! -e "$TMP/x.jsonl" ] || die "a trace file was left for a program that never ran"
printf 'not a program\n' > "$TMP/text" && chmod 644 "$TMP/text"
expect_error 3 "rt0trace: cannot execute '$TMP/text': Permission denied" "not executable" -- "$R" run -o "$TMP/x.jsonl" -- "$TMP/text"
expect_error 3 "rt0trace: cannot execute 'no-such-command-rt0': not found in PATH" "not in PATH" -- "$R" run -o "$TMP/x.jsonl" -- no-such-command-rt0
expect_error 3 "rt0trace: cannot attach to 999999999: no such process" "attach to no process" -- "$R" run -p 999999999 -o "$TMP/x.jsonl"
[ ! -e "$TMP/x.jsonl" ] || die "a trace file was left for a failed attach"
expect_exit 2 "-p and a PROGRAM" -- "$R" run -p 1 -- /bin/true
expect_exit 2 "run without PROGRAM" -- "$R" run
expect_exit 2 "unknown engine" -- "$R" run --engine nope -- /bin/true
expect_exit 2 "bad --until" -- "$R" run --until start -- /bin/true
ASAN_OPTIONS=detect_leaks=0 expect_exit 4 "ptrace refused (EPERM injected by strace)" -- \
  "$STRACE" -qq -o /dev/null -e trace=ptrace -e inject=ptrace:error=EPERM "$R" run -o "$TMP/eperm.jsonl" -- /bin/true
grep -q "^rt0trace: ptrace is not permitted here: Operation not permitted" "$TMP/err" || die "EPERM message: $(cat "$TMP/err")"
[ ! -e "$TMP/eperm.jsonl" ] || die "a trace file was left although nothing was traced"
ASAN_OPTIONS=detect_leaks=0 "$STRACE" -qq -o "$TMP/eperm.strace" -e trace=ptrace -e inject=ptrace:error=EPERM \
  "$R" run -o /dev/null -- /bin/true 2>/dev/null
[ -c /dev/null ] || die "a failed run with -o /dev/null removed /dev/null"
pass "a failed run removes only a trace file it created itself (/dev/null survives)"

# libcurl, libzip, libarchive and libcrypto are loaded on first use (common/lazylib.c): not by run,
# by the export that needs libcurl (LD_DEBUG=files names every library the loader maps, and how).
LD_DEBUG=files "$R" run -o /dev/null -- /bin/true >/dev/null 2>"$TMP/ld.run" || die "run /bin/true failed: $(tail -n 3 "$TMP/ld.run")"
grep -q "file=libjansson" "$TMP/ld.run" || die "LD_DEBUG=files shows no library: $(head -n 3 "$TMP/ld.run")"
! grep -E "file=(libcurl|libzip|libarchive|libcrypto)\." "$TMP/ld.run" || die "run loaded a library only other commands need"
LD_DEBUG=files "$R" report --otlp-endpoint http://127.0.0.1:1 -o /dev/null "$TMP/diamond.jsonl" >/dev/null 2>"$TMP/ld.otlp"
rc=$?
[ "$rc" = 6 ] || die "report --otlp-endpoint to a closed port: exit $rc, not 6"
grep -q "file=libcurl.so.*dynamically loaded" "$TMP/ld.otlp" || die "the OTLP export did not load libcurl on use"
pass "run loads no library only other commands need; the OTLP export loads libcurl when it sends"
# A library loaded on use that cannot be loaded: one message naming it and what needed it, exit 4 (here
# libcurl, made unreadable as an ELF by a bind mount over it in a private mount namespace: root only).
curl_so=$(ldconfig -p 2>/dev/null | awk '$1 == "libcurl.so.4" {print $NF; exit}')
if [ "$(id -u)" = 0 ] && [ -n "$curl_so" ] && unshare -m true 2>/dev/null; then
  unshare -m sh -c 'mount --bind /dev/null "$(readlink -f "$1")" && shift && exec "$@"' sh "$curl_so" \
    "$R" report --otlp-endpoint http://127.0.0.1:1 -o /dev/null "$TMP/diamond.jsonl" >/dev/null 2>"$TMP/nocurl.err"
  rc=$?
  [ "$rc" = 4 ] || die "an unloadable libcurl: exit $rc, not 4: $(cat "$TMP/nocurl.err")"
  grep -q "^rt0trace: cannot load libcurl.so.4, which fetching modules and sending OTLP needs: " "$TMP/nocurl.err" \
    || die "an unloadable libcurl: $(cat "$TMP/nocurl.err")"
  [ "$(grep -c . "$TMP/nocurl.err")" = 1 ] || die "an unloadable libcurl: more than one line: $(cat "$TMP/nocurl.err")"
  pass "a library loaded on use that cannot be loaded: one message naming it and what needed it, exit 4"
else
  echo "skipped: an unloadable libcurl (needs root and unshare -m to bind-mount over it privately)"
fi

expect_error 3 "rt0trace: cannot open the trace '$TMP/none.jsonl': No such file or directory" "report: missing trace" -- "$R" report "$TMP/none.jsonl"
{ head -n 2 "$TMP/diamond.jsonl"; echo '{"type": "syscall", "t": 1,'; } > "$TMP/bad.jsonl"
expect_exit 3 "report: malformed line" -- "$R" report "$TMP/bad.jsonl"
grep -q "^rt0trace: '$TMP/bad.jsonl' line 3: not a JSON object" "$TMP/err" || die "malformed line: $(cat "$TMP/err")"
expect_error 3 "rt0trace: '$FX/../CMakeCache.txt' line 1: not a JSON object: '[' or '{' expected near '#'" "report: not a trace" -- "$R" report "$FX/../CMakeCache.txt"
echo '{"type":"header","format":"rt0trace-trace","version":9}' > "$TMP/v9.jsonl"
expect_error 3 "rt0trace: '$TMP/v9.jsonl': trace format version 9; this rt0trace reads version 1" "report: future version" -- "$R" report "$TMP/v9.jsonl"
head -n -1 "$TMP/diamond.jsonl" > "$TMP/partial.jsonl"
expect_exit 1 "report: partial trace (no footer) is reported, and its check fails" -- "$R" report "$TMP/partial.jsonl"
grep -q 'PARTIAL TRACE: no footer' "$TMP/out" || die "the partial trace is not called partial"
grep -q '✗ trace complete: no footer' "$TMP/out" || die "no failed 'trace complete' check"
finish
