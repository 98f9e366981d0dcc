#!/usr/bin/env bash
# --engine preload with many threads and processes (issue 20): a C program starting 64 threads, one
# forking 200 children (followed, and with --no-follow): no hang (`timeout` turns one into a failure, it
# judges nothing else), every thread and child accounted for in the trace (each thread a clone with its
# own tid; each child a fork clone and, followed, its exit with the status it chose; --no-follow: none of
# the children's own events), output and status as untraced, and report exits 0 with no failed check.
# (Go with GOMAXPROCS=32: tests/integration/preload_go.sh, which builds a cgo program the engine can reach.)
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
need_fixture cmany

run_many() { # NAME RUN-OPTIONS... -- PROGRAM ARGS...: traced, output and status as untraced, report passes
  local name=$1 opts=()
  shift
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  "$@" > "$TMP/$name.plain" 2>&1
  local want=$?
  timeout 300 "$R" run --engine preload "${opts[@]}" -o "$TMP/$name.jsonl" -- "$@" > "$TMP/$name.traced" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || die "$name: traced exit $got (124: hung), untraced $want: $(head -c 300 "$TMP/$name.traced")"
  diff -u "$TMP/$name.plain" "$TMP/$name.traced" >&2 || die "$name: traced output differs from untraced"
  jq -s -e '.[-1].type == "footer" and .[-1].complete and .[-1].lost == 0' "$TMP/$name.jsonl" >/dev/null \
    || die "$name: the trace is incomplete or lost events: $(tail -n 1 "$TMP/$name.jsonl")"
  "$R" report "$TMP/$name.jsonl" > "$TMP/$name.report.txt" || die "$name: report exit $?: $(grep '✗' "$TMP/$name.report.txt")"
  grep -q '✗' "$TMP/$name.report.txt" && die "$name: report has a failed check: $(grep '✗' "$TMP/$name.report.txt")"
  true
}

# --- more records than the shared ring holds: the rest come by the socket, none lost ---------------------
# (8000 mmap/munmap pairs: 16000 records of 112 bytes against a 1 MiB ring, probes/preload/preload.h)
run_many mmaps -- "$FX/cmany" mmaps 8000
[ "$(cat "$TMP/mmaps.traced")" = "mmaps 8000" ] || die "8000 mmaps: output $(cat "$TMP/mmaps.traced")"
jq -s -e '(map(select(.type == "exec"))[0].pid) as $root
          | [.[] | select(.type == "syscall" and .pid == $root and .via == "libc" and .args[1] == "0x1000")] as $s
          | ($s | map(select(.name == "mmap")) | length) == 8000 and ($s | map(select(.name == "munmap")) | length) == 8000' \
  "$TMP/mmaps.jsonl" >/dev/null \
  || die "8000 mmaps: $(jq -s -c '[.[] | select(.type == "syscall" and .via == "libc") | .name] | group_by(.) | map({(.[0]): length}) | add' "$TMP/mmaps.jsonl")"
pass "8000 mmap/munmap pairs (past the shared ring's size): every one recorded, in the ring and then by the socket, none lost"

# --- 64 threads: each one a clone carrying its own tid --------------------------------------------------
CMANY_TIDS=$TMP/threads.tids run_many threads -- "$FX/cmany" threads 64
[ "$(cat "$TMP/threads.traced")" = "threads 64" ] || die "64 threads: output $(cat "$TMP/threads.traced")"
jq -s -e '(.[0].binary.path) as $bin | (map(select(.type == "exec"))[0].pid) as $root
          | map(select(.type == "clone" and .kind == "thread")) as $c
          | ($c | length) == 64 and ($c | all(.pid == $root and .child != null and .child != $root))
            and ($c | map(.child) | unique | length) == 64' "$TMP/threads.jsonl" >/dev/null \
  || die "64 threads: $(jq -s -c '[.[] | select(.type == "clone") | {pid, child}]' "$TMP/threads.jsonl")"
# the tids are the threads' own (gettid in each thread, written by cmany)
diff <(sort -n "$TMP/threads.tids") <(jq 'select(.type == "clone") | .child' "$TMP/threads.jsonl" | sort -n) >&2 \
  || die "64 threads: the clones' tids are not the ones the threads got from gettid"
pass "64 threads: no hang; 64 thread clones, each with the tid the thread itself got; report exits 0 with no ✗"

# --- 200 children, followed: each forked, each exit with its own status ------------------------------------
run_many forks -- "$FX/cmany" forks 200
[ "$(cat "$TMP/forks.traced")" = "forks 200" ] || die "200 forks: output $(cat "$TMP/forks.traced")"
# the children in fork order; child k exits with k % 100 (cmany)
jq -s -e '(map(select(.type == "exec"))[0].pid) as $root
          | (map(select(.type == "clone" and .kind == "fork")) | sort_by(.t) | map(.child)) as $kids
          | (map(select(.type == "exit" and .pid != $root)) | map({key: (.pid | tostring), value: .status}) | from_entries) as $st
          | ($kids | length) == 200 and ($kids | unique | length) == 200
            and ([range(0; 200)] | all($st[($kids[.] | tostring)] == (. % 100)))
            and (map(select(.type == "exit" and .pid == $root and .status == 0)) | length) == 1' "$TMP/forks.jsonl" >/dev/null \
  || die "200 forks: $(jq -s -c '{forks: [.[] | select(.type == "clone") | .child] | length, exits: [.[] | select(.type == "exit") | [.pid, .status]]}' "$TMP/forks.jsonl" | head -c 600)"
pass "200 forks, followed: no hang; 200 fork clones with distinct pids, each child's exit with the status it chose; report exits 0 with no ✗"

# --- 200 children, --no-follow: the forks recorded, the children silent -----------------------------------
run_many forks-nf --no-follow -- "$FX/cmany" forks 200
jq -s -e '(map(select(.type == "exec"))[0].pid) as $root
          | (map(select(.type == "clone" and .kind == "fork")) | map(.child)) as $kids
          | ($kids | length) == 200 and ($kids | unique | length) == 200
            and (map(select(.pid != null and .pid != $root)) | length) == 0' "$TMP/forks-nf.jsonl" >/dev/null \
  || die "200 forks --no-follow: $(jq -s -c '[.[] | select(.pid != null) | .pid] | unique' "$TMP/forks-nf.jsonl")"
pass "200 forks with --no-follow: no hang; 200 fork clones with distinct pids, no event from any child; report exits 0 with no ✗"
finish
