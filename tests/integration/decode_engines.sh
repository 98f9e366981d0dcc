#!/usr/bin/env bash
# Each engine captures what the syscall decoder (tracer/decode.h) needs: under --engine ebpf the kernel
# reads paths, buffers and execve's argv, and the lines say strace's `call` and `result`, with `path` and
# `fd`; a string past its bound is cut and marked; --raw decodes nothing; the eBPF engine's decoded lines
# are the ptrace engine's (addresses masked) for C programs (head, cat) and for a Go program that reads files in its
# runtime's init. The preload engine's mmap and failed-exec events are decoded too.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
need_fixture goinit

# call = result, addresses (and getrandom's bytes, pids) masked (they differ from run to run), for the lines
# that were decoded
calls() { jq -r 'select(.type == "syscall" and .call) | "\(.call) = \(.result) | \(.path) \(.fd)"' "$1" |
  sed -E 's/0x[0-9a-f]+/ADDR/g; s/^getrandom\("[^"]*"/getrandom("RANDOM"/;
  s/^(set_tid_address\(ADDR\)|getpid\(\)|gettid\(\)|getppid\(\)) = [0-9]+/\1 = PID/'; }

KNOWN=$TMP/known.txt
printf 'hello decode\n' > "$KNOWN"
LONG=$(printf 'd/%.0s' $(seq 2500)) # a relative path of 5000 bytes: past the decoder's bound (4096)

"$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"
if [ $? -eq 4 ]; then
  echo "skipped: the eBPF checks: the eBPF engine cannot run here: $(cat "$TMP/probe.err")"
  EBPF=0
else
  EBPF=1
fi

if [ "$EBPF" = 1 ]; then
  # --- a known file: its open, its read, head's argv (cat copies with copy_file_range, not read) ---------
  run_ok 0 "head under ebpf" -- "$R" run --engine ebpf -o "$TMP/cat.jsonl" -- head -n 5 "$KNOWN"
  [ "$(cat "$TMP/out")" = "hello decode" ] || die "head's output changed under the eBPF engine: $(cat "$TMP/out")"
  jq -s -e --arg f "$KNOWN" '[.[] | select(.type == "syscall" and .name == "openat" and .path == $f)] | length == 1
      and (.[0].call | startswith("openat(AT_FDCWD, \"\($f)\", O_RDONLY")) and (.[0].result | test("^[0-9]+$")) and .[0].fd == $f' \
    "$TMP/cat.jsonl" >/dev/null || die "ebpf: the open of the known file is not decoded: $(jq -c 'select(.name == "openat")' "$TMP/cat.jsonl" | tail -2)"
  jq -s -e --arg f "$KNOWN" '[.[] | select(.type == "syscall" and .name == "read" and .fd == $f and .ret == 13)] | length == 1
      and (.[0].call | test("^read\\([0-9]+, \"hello decode\\\\n\", [0-9]+\\)$")) and .[0].result == "13"' \
    "$TMP/cat.jsonl" >/dev/null || die "ebpf: the read of the known file does not show its buffer: $(jq -c 'select(.name == "read")' "$TMP/cat.jsonl" | head -3)"
  jq -s -e --arg f "$KNOWN" '[.[] | select(.type == "syscall" and .name == "execve")] | length == 1
      and (.[0].call | test("^execve\\(\"(/usr)?/bin/head\", \\[\"head\", \"-n\", \"5\", \"\($f)\"\\], "))
      and (.[0].call | test("/\\* [0-9]+ vars \\*/\\)$")) and .[0].result == "0"' "$TMP/cat.jsonl" >/dev/null \
    || die "ebpf: execve's argv is not decoded: $(jq -c 'select(.name == "execve") | .call' "$TMP/cat.jsonl")"
  jq -s -e '[.[] | select(.type == "syscall" and .name == "openat" and .ret < 0)] | all(.result | test("^-1 E[A-Z]+ \\(.+\\)$"))' \
    "$TMP/cat.jsonl" >/dev/null || die "ebpf: a failed call's result is not strace's"
  pass "ebpf: head's open of a known file names it (call, path, fd), its read shows the buffer, execve's argv decoded, errors as strace says them"

  # --- --raw: nothing decoded ---------------------------------------------------------------------------
  run_ok 0 "head under ebpf --raw" -- "$R" run --engine ebpf --raw -o "$TMP/raw.jsonl" -- head -n 5 "$KNOWN"
  jq -s -e '[.[] | select(.type == "syscall")] | length > 10 and all(has("call") | not) and all(has("result") | not)' \
    "$TMP/raw.jsonl" >/dev/null || die "ebpf --raw: syscall lines carry decoded members"
  pass "ebpf --raw: no call, no result"

  # --- bounds: a path and an argument past theirs are cut and marked ---------------------------------------
  run_ok 1 "cat of a 5000-byte path under ebpf" -- "$R" run --engine ebpf -o "$TMP/long.jsonl" -- cat "$LONG"
  jq -s -e '[.[] | select(.type == "syscall" and .name == "openat" and (.path // "" | startswith("d/d/")))] | length == 1
      and (.[0].path | length) == 4096 and (.[0].call | test("\"\\.\\.\\., O_RDONLY"))
      and .[0].result == "-1 ENAMETOOLONG (File name too long)"' "$TMP/long.jsonl" >/dev/null \
    || die "ebpf: a path past the bound is not cut at 4096 bytes and marked: $(jq -c 'select(.name == "openat") | [.call[-40:], (.path | length), .result]' "$TMP/long.jsonl" | tail -1)"
  jq -s -e '[.[] | select(.type == "syscall" and .name == "execve")] | length == 1
      and (.[0].call | test(", \"(d/){16}\"\\.\\.\\.\\], "))' "$TMP/long.jsonl" >/dev/null \
    || die "ebpf: an argv string past its bound (32, as strace shows) is not cut and marked: $(jq -c 'select(.name == "execve") | .call[-80:]' "$TMP/long.jsonl")"
  pass "ebpf: a 5000-byte path is cut at 4096 bytes and marked (\"...\"), an argv string at 32 as strace"

  # --- the same lines as the ptrace engine's ------------------------------------------------------------
  if "$R" run -o "$TMP/ptrace-probe.jsonl" -- /bin/true 2>/dev/null; then
    # the same redirections as run_ok's: the fds the program starts with are in the lines
    run_ok 0 "head under ptrace" -- "$R" run --engine ptrace -o "$TMP/cat-ptrace.jsonl" -- head -n 5 "$KNOWN"
    calls "$TMP/cat.jsonl" > "$TMP/cat.ebpf"
    calls "$TMP/cat-ptrace.jsonl" > "$TMP/cat.ptrace"
    [ "$(wc -l < "$TMP/cat.ebpf")" -gt 20 ] || die "ebpf: too few decoded lines for head: $(wc -l < "$TMP/cat.ebpf")"
    diff -u "$TMP/cat.ptrace" "$TMP/cat.ebpf" >&2 || die "head: the eBPF engine's decoded lines differ from the ptrace engine's"
    run_ok 1 "cat of a 5000-byte path under ptrace" -- "$R" run --engine ptrace -o "$TMP/long-ptrace.jsonl" -- cat "$LONG"
    diff -u <(calls "$TMP/long-ptrace.jsonl") <(calls "$TMP/long.jsonl") >&2 \
      || die "cat of a long path: the eBPF engine's decoded lines differ from the ptrace engine's"
    # a Go program: its runtime reads files in its init (cgroup limits, the huge page size); the calls that
    # name a file or an fd, in order per kind (the threads' other calls vary from run to run)
    for e in ptrace ebpf; do
      "$R" run --engine "$e" -f -o "$TMP/go-$e.jsonl" -- "$FX/goinit" >/dev/null || die "goinit under $e failed"
      jq -r 'select(.type == "syscall" and (.name == "openat" or .name == "read" or .name == "pread64" or .name == "execve"))
             | "\(.call) = \(.result) | \(.path) \(.fd)"' "$TMP/go-$e.jsonl" | sed -E 's/0x[0-9a-f]+/ADDR/g' | sort > "$TMP/go.$e"
    done
    grepq '^openat(AT_FDCWD, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY' "$TMP/go.ebpf" \
      || die "goinit under ebpf: the runtime's open of hpage_pmd_size is not decoded: $(head -5 "$TMP/go.ebpf")"
    diff -u "$TMP/go.ptrace" "$TMP/go.ebpf" >&2 || die "goinit: the eBPF engine's opens and reads differ from the ptrace engine's"
    pass "ebpf = ptrace: head's $(wc -l < "$TMP/cat.ebpf") decoded lines and the long path's, goinit's $(wc -l < "$TMP/go.ebpf") opens and reads (addresses masked)"
  else
    echo "skipped: the comparison with the ptrace engine: ptrace is not permitted here"
  fi
fi

# --- preload: the mmap family and a failed exec -----------------------------------------------------------
need_fixture cgo
"$R" run --engine preload -o "$TMP/pl.jsonl" -- "$FX/cgo" >/dev/null 2>&1 || die "cgo under preload failed"
jq -s -e '[.[] | select(.type == "syscall" and .name == "mmap")] | length >= 5
    and all(.call | test("^mmap\\((NULL|0x[0-9a-f]+), [0-9]+, PROT_[A-Z_|]+, MAP_[A-Z_|]+, -?[0-9]+, (0|0x[0-9a-f]+)\\)$"))
    and all(.result | test("^0x[0-9a-f]+$|^-1 E"))' "$TMP/pl.jsonl" >/dev/null \
  || die "preload: mmap lines are not decoded: $(jq -c 'select(.name == "mmap") | [.call, .result]' "$TMP/pl.jsonl" | head -3)"
"$R" run --engine preload -f -o "$TMP/plx.jsonl" -- sh -c 'exec /nonexistent/rt0-decode' >/dev/null 2>&1
jq -s -e '[.[] | select(.type == "syscall" and .name == "execve")] | length == 1
    and .[0].call == "execve(\"/nonexistent/rt0-decode\", NULL, NULL)" and .[0].path == "/nonexistent/rt0-decode"
    and .[0].result == "-1 ENOENT (No such file or directory)"' "$TMP/plx.jsonl" >/dev/null \
  || die "preload: a failed exec is not decoded: $(jq -c 'select(.name == "execve")' "$TMP/plx.jsonl")"
"$R" run --engine preload --raw -o "$TMP/plr.jsonl" -- "$FX/cgo" >/dev/null 2>&1
jq -s -e '[.[] | select(.type == "syscall")] | length >= 5 and all(has("call") | not)' "$TMP/plr.jsonl" >/dev/null \
  || die "preload --raw: syscall lines carry decoded members"
pass "preload: mmap lines carry strace's call and result, a failed exec its path; --raw none"
finish
