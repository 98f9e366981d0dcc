#!/usr/bin/env bash
# rt0trace run --engine preload (LD_PRELOAD, probes/preload/librt0preload.so): on a C program and a cgo
# Go program, output and status as untraced; the probes and the layout at main match what the ptrace
# engine records for the same program; report passes its checks or says "not observed"; fork+exec is
# followed under the child's own pid and --no-follow stops it; a static binary is refused before it
# runs; errno is as libc sets it around interposed calls; a launcher fd that is not what the environment
# says leaves the shim silent and the program unaffected.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
HERE=$(cd "$(dirname "$0")" && pwd)
need_fixture cprog
CC=$(command -v cc || command -v gcc) || skip "no C compiler to build the errno and fork/exec programs"
# The cgo program under test: tests/fixtures/cgo built by rt0trace's own pipeline (CGO_ENABLED=1: cgo,
# gcc, external link), unless RT0_CGO_BIN names another.
CGO_BIN=${RT0_CGO_BIN:-}
if [ -z "$CGO_BIN" ]; then
  CGO_BIN=$TMP/cgo
  (cd "$RT0_SRC/tests/fixtures/cgo" && CGO_ENABLED=1 "$R" build -o "$CGO_BIN" .) >"$TMP/cgo-build.out" 2>&1 \
    || die "rt0trace build of the cgo fixture failed: $(tail -3 "$TMP/cgo-build.out")"
fi
SHIM=${RT0_PRELOAD_LIB:-$(dirname "$R")/probes/preload/librt0preload.so}
[ -r "$SHIM" ] || die "the preload library is not at '$SHIM' (built beside rt0trace by CMake)"
"$R" run -o "$TMP/ptrace-probe.jsonl" -- /bin/true 2>/dev/null
PTRACE_OK=$([ $? -ne 4 ] && echo 1 || echo 0)
# Layout comparisons leave out what only the preload engine maps: the library and its shared counter.
OURS='librt0preload\.so|/memfd:rt0preload'

traced_matches_untraced() { # NAME PROGRAM ARGS...: stdout+stderr and status equal traced and untraced
  local name=$1
  shift
  "$@" > "$TMP/$name.plain" 2>&1
  local want=$?
  "$R" run --engine preload -o "$TMP/$name.jsonl" -- "$@" > "$TMP/$name.traced" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || die "$name: traced exit $got, untraced $want: $(head -c 300 "$TMP/$name.traced")"
  diff -u "$TMP/$name.plain" "$TMP/$name.traced" >&2 || die "$name: traced output differs from untraced"
}
probes() { jq -r 'select(.type == "probe") | "\(.role) \(.symbol)"' "$1"; }
# file-backed mappings at the layout snapshot, as "path perms", without the preload engine's own
file_maps() { jq -r --arg ours "$OURS" 'select(.type == "maps" and .at != "exit") | .entries[] | select(.path != "" and (.path | test($ours) | not)) | "\(.path) \(.perms)"' "$1" | sort -u; }

# --- a C program: output, status, probes and layout as the ptrace engine sees them ---------------------
traced_matches_untraced cprog "$FX/cprog" 5
jq -s -e '.[0].engine == "preload" and .[0].binary.path != null and .[-1].type == "footer" and .[-1].complete
          and .[-1].lost == 0 and .[-1].program_ns > 0' "$TMP/cprog.jsonl" >/dev/null \
  || die "cprog: header/footer: $(jq -s -c '[.[0].engine, .[-1]]' "$TMP/cprog.jsonl")"
probes "$TMP/cprog.jsonl" > "$TMP/cprog.probes.preload"
[ "$(head -n 1 "$TMP/cprog.probes.preload")" = "entry _start" ] && [ "$(tail -n 1 "$TMP/cprog.probes.preload")" = "main main" ] \
  && grep -qx 'init ctor_first' "$TMP/cprog.probes.preload" || die "cprog: probes: $(tr '\n' ' ' < "$TMP/cprog.probes.preload")"
if [ "$PTRACE_OK" = 1 ]; then
  "$R" run -o "$TMP/cprog.ptrace.jsonl" -- "$FX/cprog" 5 >/dev/null 2>&1
  probes "$TMP/cprog.ptrace.jsonl" > "$TMP/cprog.probes.ptrace"
  diff -u "$TMP/cprog.probes.ptrace" "$TMP/cprog.probes.preload" >&2 || die "cprog: probes differ from the ptrace engine's"
  file_maps "$TMP/cprog.ptrace.jsonl" > "$TMP/cprog.maps.ptrace"
  file_maps "$TMP/cprog.jsonl" > "$TMP/cprog.maps.preload"
  [ -s "$TMP/cprog.maps.ptrace" ] || die "cprog: the ptrace trace has no layout at main"
  diff -u "$TMP/cprog.maps.ptrace" "$TMP/cprog.maps.preload" >&2 || die "cprog: the mappings at main differ from the ptrace engine's"
  pass "cprog: output and exit 5 as untraced; probes ($(wc -l < "$TMP/cprog.probes.preload"): $(tr '\n' ',' < "$TMP/cprog.probes.preload" | sed 's/,$//')) and the $(wc -l < "$TMP/cprog.maps.preload") file mappings at main equal the ptrace engine's"
else
  echo "skipped: the comparison with the ptrace engine: ptrace is not permitted here"
fi
"$R" report --format json -o "$TMP/cprog.report.json" "$TMP/cprog.jsonl" \
  || die "cprog: report: a check failed: $(jq -c '[.checks[]|select(.status == "fail")]' "$TMP/cprog.report.json")"
jq -e '(.checks | length) == 7 and (.checks | all(.status == "pass")) and .init_order.match and .layout_at == "main"
       and .exit.status == 5' "$TMP/cprog.report.json" >/dev/null \
  || die "cprog: report: $(jq -c '{checks, io: .init_order, layout_at, exit}' "$TMP/cprog.report.json")"
jq -s -e '[.[] | select(.type == "syscall" and .via == "libc" and .name == "exit_group" and .args[0] == "0x5")] | length == 1' \
  "$TMP/cprog.jsonl" >/dev/null || die "cprog: main's return (5) is not recorded as exit_group"
# the phases of a dynamic program: the loader, each library's constructors, the program's .init_array, main
got=$(jq -r '[.phases[].name] | join(" > ")' "$TMP/cprog.report.json")
want="exec > constructors libc.so.6 > _start > init ctor_first > init ctor_second > init frame_dummy > main"
[ "$got" = "$want" ] || die "cprog: phases '$got', want '$want'"
pass "cprog: report passes all 7 checks (entry, phases, init order, layout at main, ...); main's return recorded; phases $want"

"$R" run --engine preload --until main -o "$TMP/until.jsonl" -- "$FX/cprog" 6 > "$TMP/until.traced" 2>&1
[ $? -eq 6 ] || die "--until main: the program's status is not passed through"
diff -u <("$FX/cprog" 6 2>&1) "$TMP/until.traced" >&2 || die "--until main: output changed"
jq -s -e '.[-2].type == "maps" and .[-2].at == "main" and (map(select(.type == "probe")) | last | .role) == "main"
          and (map(select(.type == "exit" or .name == "exit_group")) | length) == 0' "$TMP/until.jsonl" >/dev/null \
  || die "--until main: the trace does not end at main: $(jq -c '[.type, .symbol, .name]' "$TMP/until.jsonl" | tail -n 4)"
pass "--until main: the trace ends with main's probe and layout; output and status (6) as untraced"

# --- a cgo Go program: the C-level phases, then the Go phases libc calls reveal ----------------------------
RT0_EXIT=7 traced_matches_untraced cgo "$CGO_BIN"
grep -q '^cgo: ctor=1 ' "$TMP/cgo.traced" || die "cgo: the C constructor did not run under the engine: $(cat "$TMP/cgo.traced")"
jq -r 'select(.type == "probe" or (.type == "mark" and (.what == "constructor" or (.what | startswith("go-")))))
       | if .type == "probe" then .symbol else "\(.what) \(.symbol // "")" end' "$TMP/cgo.jsonl" \
  | grep -v '^constructor $' > "$TMP/cgo.moments"
want=$'_start\nconstructor frame_dummy\nconstructor cgo_fixture_ctor\nruntime.rt0_go.abi0\nruntime.schedinit\ngo-initsig \nruntime.main\ngo-runtime-init-done '
[ "$(cat "$TMP/cgo.moments")" = "$want" ] || die "cgo: moments in time order: $(tr '\n' '|' < "$TMP/cgo.moments"), want $(tr '\n' '|' <<< "$want")"
# every pthread_create is recorded with the new thread's tid (sysmon's at least), even a thread that never
# ran before the exit; and every thread seen doing anything is one of them
jq -s -e '[.[] | select(.type == "clone" and .kind == "thread")] as $c
          | ($c | length) >= 1 and ($c | all(.child != null))
            and ([.[] | select(.tid != null and .tid != .pid and .type != "clone") | .tid] - [$c[].child] | length) == 0' \
  "$TMP/cgo.jsonl" >/dev/null \
  || die "cgo: the runtime's threads (pthread_create) are not recorded with their tids: $(jq -c 'select(.type == "clone") | [.tid, .child]' "$TMP/cgo.jsonl" | tr '\n' ' ')"
jq -s -e '[.[] | select(.type == "syscall" and .name == "mmap" and .via == "libc")] | length >= 5' "$TMP/cgo.jsonl" >/dev/null \
  || die "cgo: the runtime's mmaps through libc are not recorded"
if [ "$PTRACE_OK" = 1 ]; then
  RT0_EXIT=7 "$R" run -o "$TMP/cgo.ptrace.jsonl" -- "$CGO_BIN" >/dev/null 2>&1
  # the Go phases both engines saw, in the order each saw them
  jq -r 'select(.type == "probe" and .role == "phase") | .symbol' "$TMP/cgo.jsonl" > "$TMP/cgo.phases.preload"
  jq -r 'select(.type == "probe") | .symbol' "$TMP/cgo.ptrace.jsonl" | grep -Fxf "$TMP/cgo.phases.preload" > "$TMP/cgo.phases.ptrace"
  diff -u "$TMP/cgo.phases.ptrace" "$TMP/cgo.phases.preload" >&2 || die "cgo: the Go phases are not in the ptrace engine's order"
  [ "$(wc -l < "$TMP/cgo.phases.preload")" -eq 3 ] || die "cgo: expected rt0_go, schedinit and runtime.main"
  file_maps "$TMP/cgo.ptrace.jsonl" | awk '{print $1}' | sort -u > "$TMP/cgo.maps.ptrace"
  file_maps "$TMP/cgo.jsonl" | awk '{print $1}' | sort -u > "$TMP/cgo.maps.preload"
  diff -u "$TMP/cgo.maps.ptrace" "$TMP/cgo.maps.preload" >&2 || die "cgo: the mapped files differ from the ptrace engine's"
  pass "cgo (built by rt0trace build): output and exit 7 as untraced; C constructors, then $(tr '\n' ' ' < "$TMP/cgo.phases.preload")in the ptrace engine's order; same mapped files"
else
  echo "skipped: the comparison with the ptrace engine: ptrace is not permitted here"
fi
"$R" report --format json -o "$TMP/cgo.report.json" "$TMP/cgo.jsonl" \
  || die "cgo: report exit $?: $(jq -c '[.checks[]|select(.status == "fail")]' "$TMP/cgo.report.json")"
jq -e '(.checks | map(select(.status == "fail")) | length) == 0
       and (.checks[] | select(.name == "init order") | .status == "not observed" and .ok == false and (.detail | test("not observed by the preload engine")))
       and (.checks[] | select(.name == "phases in order") | .status == "pass" and (.detail | test("not observed by the preload engine: runtime.gcenable, main.main")))
       and (.checks[] | select(.name == "go heap arena") | .status == "pass")
       and .init_order.not_observed and .layout_at == "x_cgo_notify_runtime_init_done" and .exit.status == 7' \
  "$TMP/cgo.report.json" >/dev/null || die "cgo: report: $(jq -c '{checks, layout_at, exit}' "$TMP/cgo.report.json")"
"$R" report "$TMP/cgo.jsonl" > "$TMP/cgo.report.txt"
grep -q '^  – init order: not observed by the preload engine' "$TMP/cgo.report.txt" || die "cgo: the text report does not say the init order was not observed"
pass "cgo: report exits 0; init order 'not observed by the preload engine' (neither ✓ nor ✗); layout and Go heap arena pass at x_cgo_notify_runtime_init_done"

# --- fork + exec: followed under the child's own pid; --no-follow leaves the child alone ------------------
"$CC" -O1 -Wall -Werror -o "$TMP/forkexec" "$HERE/preload/forkexec.c" || die "cannot build forkexec.c"
"$CC" -O1 -Wall -Werror -pthread -o "$TMP/errno" "$HERE/preload/errno.c" || die "cannot build errno.c"
traced_matches_untraced forkexec "$TMP/forkexec"
jq -s -e '
  (.[0].binary.path) as $bin
  | (map(select(.type == "exec"))[0].pid) as $root
  | (map(select(.type == "clone" and .kind == "fork"))) as $forks
  | ($forks[0].child) as $child
  | ($forks | length) == 1 and $forks[0].pid == $root and $child != $root
    and (map(select(.type == "probe" and .pid == $root and .role == "main")) | length == 1)
    and (map(select(.type == "exec" and .pid == $child and .path == $bin and .binary.path == $bin)) | length == 1)
    and (map(select(.type == "probe" and .pid == $child and .role == "main")) | length == 1)
    and (map(select(.type == "exit" and .pid == $child and .status == 3)) | length == 1)
    and (map(select(.type == "exit" and .pid == $root and .status == 0)) | length == 1)' "$TMP/forkexec.jsonl" >/dev/null \
  || die "fork+exec: $(jq -c 'select(.type == "clone" or .type == "exec" or .type == "exit" or (.type == "probe" and .role == "main")) | del(.binary)' "$TMP/forkexec.jsonl")"
"$TMP/forkexec" > "$TMP/nofollow.plain" 2>&1
"$R" run --engine preload --no-follow -o "$TMP/nofollow.jsonl" -- "$TMP/forkexec" > "$TMP/nofollow.traced" 2>&1
[ $? -eq 0 ] || die "--no-follow: exit status changed"
diff -u "$TMP/nofollow.plain" "$TMP/nofollow.traced" >&2 || die "--no-follow: output changed"
jq -s -e '(map(select(.type == "clone" and .kind == "fork"))[0].child) as $child
          | $child != null and (map(select(.pid == $child)) | length == 0)
          and (map(select(.type == "exec")) | length == 1)' "$TMP/nofollow.jsonl" >/dev/null \
  || die "--no-follow: the child was traced: $(jq -c 'select(.type == "exec" or .type == "clone") | del(.binary)' "$TMP/nofollow.jsonl")"
pass "fork+exec: the child is followed under its own pid (exec, probes, exit 3); --no-follow records only the fork"

# posix_spawn: the child is made and exec'd inside libc; the spawn is the clone, the child's image its exec
traced_matches_untraced spawn "$TMP/forkexec" spawn
jq -s -e '
  (.[0].binary.path) as $bin
  | (map(select(.type == "exec"))[0].pid) as $root
  | (map(select(.type == "clone" and .kind == "fork" and .via == "posix_spawn"))) as $sp
  | ($sp[0].child) as $child
  | ($sp | length) == 1 and $sp[0].pid == $root and $child != $root
    and (map(select(.type == "exec" and .pid == $child and .binary.path == $bin)) | length == 1)
    and (map(select(.type == "probe" and .pid == $child and .role == "main")) | length == 1)
    and (map(select(.type == "exit" and .pid == $child and .status == 3)) | length == 1)' "$TMP/spawn.jsonl" >/dev/null \
  || die "posix_spawn: $(jq -c 'select(.type == "clone" or .type == "exec" or .type == "exit") | del(.binary)' "$TMP/spawn.jsonl")"
"$R" run --engine preload --no-follow -o "$TMP/spawn-nf.jsonl" -- "$TMP/forkexec" spawn > "$TMP/spawn-nf.traced" 2>&1 \
  || die "posix_spawn --no-follow: exit status changed"
jq -s -e '(map(select(.type == "clone" and .via == "posix_spawn"))[0].child) as $child
          | $child != null and (map(select(.pid == $child)) | length == 0)' "$TMP/spawn-nf.jsonl" >/dev/null \
  || die "posix_spawn --no-follow: the child was traced: $(jq -c 'select(.type == "exec" or .type == "clone") | del(.binary)' "$TMP/spawn-nf.jsonl")"
pass "posix_spawn: noted as the fork, the spawned program followed under its own pid (exec, main, exit 3); --no-follow leaves it alone"

# --- errno around interposed calls; the shim silent when the fds are not the launcher's ------------------
traced_matches_untraced errno "$TMP/errno"
grep -qx 'errno: all as libc sets it' "$TMP/errno.traced" || die "errno: $(cat "$TMP/errno.traced")"
jq -s -e '[.[] | select(.type == "syscall" and .name == "mmap" and .ret == -22)] | length >= 2' "$TMP/errno.jsonl" >/dev/null \
  || die "errno: the failed mmaps are not in the trace with ret -EINVAL"
pass "errno: failed mmap/mprotect/mremap/munmap keep libc's errno, successful ones and pthread_create leave it; failures traced with -errno"
"$FX/cprog" 4 > "$TMP/silent.plain" 2>&1
exec 7>"$TMP/not-a-socket"
ino=$(stat -c %i "$TMP/not-a-socket")
dev=$(stat -c %d "$TMP/not-a-socket")
for env in "1:7:$dev:$ino:7:$dev:$ino:0" "1:7:$dev:$((ino + 1)):7:$dev:$ino:0" "1:99:1:1:98:1:1:0" "garbage"; do
  LD_PRELOAD=$SHIM RT0_PRELOAD=$env "$FX/cprog" 4 > "$TMP/silent.out" 2>&1
  [ $? -eq 4 ] || die "bad fd ($env): the program's status changed"
  diff -u "$TMP/silent.plain" "$TMP/silent.out" >&2 || die "bad fd ($env): the program's output changed"
  [ ! -s "$TMP/not-a-socket" ] || die "bad fd ($env): the shim wrote to an fd that is not the launcher's socket"
done
exec 7>&-
pass "a launcher fd that is not what RT0_PRELOAD says (a file, a wrong inode, a closed fd, garbage): the shim is silent, the program unaffected"

# --- what LD_PRELOAD cannot reach is refused before it runs -----------------------------------------------
need_fixture diamond
expect_error 3 "rt0trace: '$FX/diamond' is statically linked (no PT_INTERP): LD_PRELOAD cannot reach it, so --engine preload cannot trace it; use --engine ptrace or --engine ebpf" \
  "a static binary" -- "$R" run --engine preload -o "$TMP/static.jsonl" -- "$FX/diamond"
[ ! -e "$TMP/static.jsonl" ] || die "a trace file was left for a static binary"
expect_exit 2 "--engine preload with -p" -- "$R" run --engine preload -p 1
expect_exit 2 "-f with --no-follow" -- "$R" run --engine preload -f --no-follow -- /bin/true
RT0_PRELOAD_LIB=$TMP/none.so expect_exit 4 "the preload library missing" -- "$R" run --engine preload -o "$TMP/nolib.jsonl" -- "$FX/cprog"
grep -q "^rt0trace: cannot use the preload library '$TMP/none.so'" "$TMP/err" || die "missing library message: $(cat "$TMP/err")"
[ ! -e "$TMP/nolib.jsonl" ] || die "a trace file was left although nothing was traced"
. "$(dirname "$0")/lib/engine_checks.bash"
ENGINE=(--engine preload)
start_checks

finish
