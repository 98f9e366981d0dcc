#!/usr/bin/env bash
# The report's process tree and critical path (report/proctree.c) on traces followed with -f: a shell that
# runs cat and then execs diamond itself, a shell that runs cat and forks a child that execs diamond
# (ptrace, and the eBPF engine where it can run), and a shell running `unshare -U true` (its process is
# marked container, the shell is not). The processes hold sh, cat and diamond with the right parentage; the
# critical path starts at t0, its steps are contiguous and in time order and their durations sum exactly
# to main.main's start in the `--program diamond` report; the same path without --program (diamond is the
# last exec'd program that reached main); no process but the root lacks a parent or a comm (a new thread's
# syscalls written under its tid before its clone count for its process). A single-process trace has
# neither member. The text report's tree and the HTML page's tables.
. "$(dirname "$0")/lib/common.bash"
need_fixture diamond
R=$RT0TRACE
FX=$RT0_FIXTURES
need_ptrace

# check_path NAME TRACE: the critical path of both reports ends at diamond's main.main, without gaps
check_path() {
  local name=$1 t=$2 main
  "$R" report --program diamond --format json -o "$TMP/$name.prog.json" "$t" ||
    die "$name: report --program diamond: exit $?"
  "$R" report --format json -o "$TMP/$name.json" "$t"
  [ $? -le 1 ] || die "$name: report: exit $?"
  main=$(jq '.phases[] | select(.name == "main.main") | .start_ns' "$TMP/$name.prog.json")
  [ -n "$main" ] && [ "$main" -gt 0 ] ||
    die "$name: no main.main phase: $(jq -c '[.phases[].name]' "$TMP/$name.prog.json")"
  for f in "$TMP/$name.prog.json" "$TMP/$name.json"; do
    jq -e --argjson main "$main" '.critical_path as $p | ($p | length) > 0 and $p[0].start_ns == 0
      and ([$p[].dur_ns] | add) == $main and ($p[-1].start_ns + $p[-1].dur_ns) == $main
      and $p[-1].step == "exec → main"
      and ([range(1; $p | length) | $p[.].start_ns == $p[. - 1].start_ns + $p[. - 1].dur_ns] | all)' "$f" >/dev/null ||
      die "$name: critical path $(jq -c .critical_path "$f") does not cover [0, $main]"
  done
  cmp -s <(jq -c .critical_path "$TMP/$name.prog.json") <(jq -c .critical_path "$TMP/$name.json") ||
    die "$name: the path differs without --program: $(jq -c .critical_path "$TMP/$name.json")"
  jq -e '.processes[0].ppid == null and ([.processes[1:][] | .ppid != null and .comm != null] | all)' "$TMP/$name.json" \
    >/dev/null || die "$name: a process but the root has no parent or comm: $(jq -c .processes "$TMP/$name.json")"
  pass "$name: critical path $(jq -c '[.critical_path[] | "\(.step) (\(.pid))"]' "$TMP/$name.json")" \
    "sums to main.main at $main ns"
}

# proc NAME FILE BASENAME: the process whose last exec is BASENAME, as JSON
proc() { jq -c --arg b "$3" '[.processes[] | select(.comm == $b)] | first // empty' "$2"; }

# check_fork NAME: sh forks cat, then a child that execs diamond
check_fork() {
  local name=$1 j=$TMP/$1.json root cat dia
  root=$(jq -c '.processes[0]' "$j")
  jq -e '.ppid == null and (.execs[0] | split("/") | last | test("^(sh|dash|bash)$")) and .start_ns == 0' \
    <<<"$root" >/dev/null || die "$name: the root is not sh: $root"
  cat=$(proc "$name" "$j" cat)
  dia=$(proc "$name" "$j" diamond)
  [ -n "$cat" ] && [ -n "$dia" ] ||
    die "$name: no cat or no diamond in $(jq -c '[.processes[] | {pid, ppid, comm}]' "$j")"
  jq -e --argjson r "$root" '.ppid == $r.pid and .start_ns > 0 and .end_ns >= .start_ns and .syscalls > 0' \
    <<<"$cat" >/dev/null || die "$name: cat is not sh's child: $cat"
  jq -e --argjson r "$root" --argjson c "$cat" '.ppid == $r.pid and .start_ns > $c.start_ns and (.container | not)' \
    <<<"$dia" >/dev/null || die "$name: diamond is not sh's child after cat: $dia"
  jq -e --argjson r "$root" --argjson d "$dia" '[.critical_path[] | .pid] == [$r.pid, $d.pid, $d.pid]' "$j" >/dev/null ||
    die "$name: the path is not sh, the forked child, its exec: $(jq -c .critical_path "$j")"
  pass "$name: processes $(jq -c '[.processes[] | "\(.comm) \(.pid) <- \(.ppid)"]' "$j")"
}

# --- sh runs cat, then execs diamond ------------------------------------------------------------------
"$R" run -f -o "$TMP/exec.jsonl" -- /bin/sh -c "cat /etc/hostname >/dev/null; exec $FX/diamond" >/dev/null 2>&1 ||
  die "sh -c 'cat; exec diamond' traced: exit $?"
check_path exec "$TMP/exec.jsonl"
J=$TMP/exec.json
jq -e '.processes | length == 2' "$J" >/dev/null ||
  die "exec: not 2 processes: $(jq -c '[.processes[] | {pid, comm}]' "$J")"
jq -e '.processes[0] as $r | .processes[1] as $c | $r.comm == "diamond" and ($r.execs | length) == 2
  and ($r.execs[0] | split("/") | last | test("^(sh|dash|bash)$")) and $c.comm == "cat" and $c.ppid == $r.pid
  and ([.critical_path[] | .pid] | unique) == [$r.pid] and (.critical_path | length) == 2' "$J" >/dev/null ||
  die "exec: $(jq -c '{processes: [.processes[] | {pid, ppid, comm, execs}], critical_path}' "$J")"
pass "exec: sh (then diamond, one process) and its child cat; the path is sh then diamond's exec → main"
"$R" report "$TMP/exec.jsonl" > "$TMP/exec.txt"
grepq -E '^processes ' "$TMP/exec.txt" && grepq -E '^    [0-9]+ cat ' "$TMP/exec.txt" &&
  grepq '^critical path (t0 to main' "$TMP/exec.txt" ||
  die "exec: the text report has no process tree: $(sed -n '/^processes/,/^syscalls (all/p' "$TMP/exec.txt")"
pass "exec: the text report's processes (cat indented under sh) and critical path"
"$R" report --format html -o "$TMP/exec.html" "$TMP/exec.jsonl"
[ $? -le 1 ] || die "exec: report --format html failed"
[ "$(grep -c '<tr class="proc-row' "$TMP/exec.html")" -eq 2 ] &&
  [ "$(grep -c '<tr class="path-step"' "$TMP/exec.html")" -eq 2 ] ||
  die "exec: the HTML page has no process table or critical path"
pass "exec: the HTML page's process table (2 rows) and critical path (2 steps)"

# --- sh runs cat, then forks a child that execs diamond ------------------------------------------------------
FORK="cat /etc/hostname >/dev/null; $FX/diamond >/dev/null; exit 0"
"$R" run -f -o "$TMP/fork.jsonl" -- /bin/sh -c "$FORK" >/dev/null 2>&1 ||
  die "sh -c 'cat; diamond' traced: exit $?"
check_path fork "$TMP/fork.jsonl"
check_fork fork

# --- a single process: no tree -----------------------------------------------------------------------------
"$R" run -o "$TMP/one.jsonl" -- "$FX/diamond" >/dev/null 2>&1 || die "diamond alone traced: exit $?"
"$R" report --format json "$TMP/one.jsonl" | jq -e 'has("processes") or has("critical_path") | not' >/dev/null ||
  die "a single process's report has a process tree"
"$R" report "$TMP/one.jsonl" | grepq -E '^(processes|critical path)' &&
  die "a single process's text report has a process tree"
pass "a single process's report has no processes or critical path (text and JSON as before)"

# --- the container rule on the recorded sh-fork trace, with one namespace call added to sh before its fork:
# clone3 naming CLONE_NEWPID in its call, clone with CLONE_NEWNS in args[0] (both mark sh and its child),
# and an unshare that failed (marks none)
G=$RT0_SRC/tests/golden/traces/sh-fork.jsonl
SYS='{"type":"syscall","t":63523094854000,"pid":23515,"tid":23515,"dur":100,"nr":'
C3=',"call":"clone3({flags=CLONE_NEWPID|CLONE_VFORK, exit_signal=SIGCHLD}, 88)"'
for c in "true 435 clone3 0x7ffd0 23516 $C3" "true 56 clone 0x20011 23516 " "false 272 unshare 0x10000000 -1 "; do
  read -r want nr name a0 ret extra <<<"$c"
  args="[\"$a0\",\"0x0\",\"0x0\",\"0x0\",\"0x0\",\"0x0\"]"
  { head -n 2 "$G"; echo "$SYS$nr,\"name\":\"$name\",\"args\":$args,\"ret\":$ret$extra}"
    tail -n +3 "$G"; } > "$TMP/rule.jsonl"
  "$R" report --format json -o "$TMP/rule.json" "$TMP/rule.jsonl" || die "rule $name: report: exit $?"
  jq -e --argjson w "$want" '[.processes[].container] == [$w, $w]' "$TMP/rule.json" >/dev/null ||
    die "rule $name: $(jq -c '[.processes[] | {pid, container}]' "$TMP/rule.json"), want $want"
done
pass "container rule: clone3's CLONE_NEWPID, clone's CLONE_NEWNS mark sh and its child; a failed unshare does not"

# --- each process's phases, on the recorded sh-fork trace: diamond's are those `--program diamond` gives
# (runtime bootstrap, each package's init, main.main), dash's the root report's; the text tree counts them
"$R" report --format json -o "$TMP/gf.json" "$G" || die "sh-fork: report: exit $?"
"$R" report --program diamond --format json -o "$TMP/gf.prog.json" "$G" || die "sh-fork: report --program: exit $?"
ph='[.phases[] | {name, start_ns, dur_ns}]'
dia=$(jq -c '[.processes[] | select(.comm == "diamond")][0].phases' "$TMP/gf.json")
[ "$dia" = "$(jq -c "$ph" "$TMP/gf.prog.json")" ] ||
  die "sh-fork: diamond's phases $dia are not those of report --program diamond"
jq -e '[.[].name] | .[0] == "exec" and .[-1] == "main.main" and index(["runtime.schedinit"]) != null
  and index(["init example.com/diamond/zbase"]) < index(["init example.com/diamond/left"])' <<<"$dia" >/dev/null || die "sh-fork: diamond's phases lack main or an init: $dia"
[ "$(jq -c '.processes[0].phases' "$TMP/gf.json")" = "$(jq -c "$ph" "$TMP/gf.json")" ] ||
  die "sh-fork: the root's phases $(jq -c '.processes[0].phases' "$TMP/gf.json") are not the report's"
n=$(jq '[.processes[] | select(.comm == "diamond")][0].phases | length' "$TMP/gf.json")
"$R" report "$G" | grepq -E "^    23516 diamond .* $n phases, exec → main [0-9.]+ ms$" ||
  die "sh-fork: the text tree does not count diamond's phases: $("$R" report "$G" | sed -n '/^processes/,/^$/p')"
pass "sh-fork: each process's phases are its own report's ($n for diamond, with its inits and main.main)"

# --- many processes whose probe hits interleave: the sh-fork header and root, 300 forked children each
# exec'ing /x/pN, then one round of entry probes, one of package inits (package pN-M for child N), one of
# mains, each round over every child, and their exits. Each child's phases are its own, in its order.
N=300
T0=$(head -n 1 "$G" | jq .t0)
{
  head -n 2 "$G"
  for i in $(seq 1 $N); do
    echo "{\"type\":\"clone\",\"t\":$((T0 + 1000 * i)),\"pid\":23515,\"tid\":23515,\"child\":$((30000 + i)),\"kind\":\"fork\"}"
    echo "{\"type\":\"exec\",\"t\":$((T0 + 1000 * i + 500)),\"pid\":$((30000 + i)),\"tid\":$((30000 + i)),\"path\":\"/x/p$i\"}"
  done
  for round in entry init main; do
    for i in $(seq 1 $N); do
      t=$((T0 + 1000000 + 1000 * i)); [ $round = init ] && t=$((t + 2000000 + i)); [ $round = main ] && t=$((t + 5000000 + 2 * i))
      case $round in
        entry) echo "{\"type\":\"probe\",\"t\":$t,\"pid\":$((30000 + i)),\"tid\":$((30000 + i)),\"symbol\":\"_rt0_amd64_linux\",\"role\":\"entry\"}" ;;
        init) echo "{\"type\":\"probe\",\"t\":$t,\"pid\":$((30000 + i)),\"tid\":$((30000 + i)),\"symbol\":\"p$i.init\",\"role\":\"init\",\"package\":\"p$i\"}" ;;
        main) echo "{\"type\":\"probe\",\"t\":$t,\"pid\":$((30000 + i)),\"tid\":$((30000 + i)),\"symbol\":\"main.main\",\"role\":\"main\"}" ;;
      esac
    done
  done
  for i in $(seq 1 $N); do
    echo "{\"type\":\"exit\",\"t\":$((T0 + 9000000 + i)),\"pid\":$((30000 + i)),\"tid\":$((30000 + i)),\"status\":0}"
  done
  tail -n 1 "$G"
} > "$TMP/many.jsonl"
"$R" report --format json -o "$TMP/many.json" "$TMP/many.jsonl"
[ $? -le 1 ] || die "many: report: exit $?"
jq -e --argjson n $N '[.processes[] | select(.comm | test("^p[0-9]+$"))] | length == $n and all(
    (.comm[1:] | tonumber) as $i | .start_ns == 1000 * $i and
    .phases == [{name: "exec", start_ns: (1000 * $i + 500), dur_ns: (1000000 + 1000 * $i - (1000 * $i + 500))},
                {name: "_rt0_amd64_linux", start_ns: (1000000 + 1000 * $i), dur_ns: (2000000 + $i)},
                {name: "init p\($i)", start_ns: (3000000 + 1001 * $i), dur_ns: (3000000 + $i)},
                {name: "main.main", start_ns: (6000000 + 1002 * $i), dur_ns: (9000000 + $i - (6000000 + 1002 * $i))}])' \
  "$TMP/many.json" >/dev/null ||
  die "many: a child's phases are not its own: $(jq -c '[.processes[] | select(.comm == "p7" or .comm == "p300") | {comm, phases}]' "$TMP/many.json")"
"$R" report -o "$TMP/many.txt" "$TMP/many.jsonl"
grepq -E '^    30300 p300 .* 4 phases, exec → main 6\.000 ms$' "$TMP/many.txt" ||
  die "many: the text tree: $(grep -m1 ' p300 ' "$TMP/many.txt")"
pass "$N processes with interleaved probe hits: each one's phases are its own (exec, entry, its init, main.main)"

# --- unshare: its process made a user namespace -----------------------------------------------------------------
if command -v unshare >/dev/null && unshare -U true 2>/dev/null; then
  "$R" run -f -o "$TMP/ns.jsonl" -- /bin/sh -c "unshare -U true; cat /etc/hostname >/dev/null" >/dev/null 2>&1 ||
    die "sh -c 'unshare -U true' traced: exit $?"
  "$R" report --format json -o "$TMP/ns.json" "$TMP/ns.jsonl"
  [ $? -le 1 ] || die "ns: report: exit $?"
  jq -e '(.processes[0].container | not)
    and ([.processes[] | select(.execs | map(split("/") | last) | index("unshare"))] | length == 1 and .[0].container)
    and ([.processes[] | select(.comm == "cat")][0].container | not)' "$TMP/ns.json" \
    >/dev/null || die "ns: $(jq -c '[.processes[] | {pid, comm, execs, container}]' "$TMP/ns.json")"
  "$R" report "$TMP/ns.jsonl" | grepq -E ' true .* container(  [0-9]+ phases, .*)?$' || die "ns: the text report does not mark it container"
  pass "unshare -U: its process is a container, sh and cat are not"
else
  echo "skipped: unshare -U is not available here"
fi

# --- the eBPF engine ----------------------------------------------------------------------------------
"$R" run --engine ebpf -f -o "$TMP/ebpf.jsonl" -- /bin/sh -c "$FORK" >/dev/null 2>"$TMP/ebpf.err"
rc=$?
if [ $rc -eq 4 ]; then
  echo "skipped: the eBPF engine cannot run here: $(head -c 200 "$TMP/ebpf.err")"
else
  [ $rc -eq 0 ] || die "ebpf: traced: exit $rc: $(head -c 300 "$TMP/ebpf.err")"
  check_path ebpf "$TMP/ebpf.jsonl"
  check_fork ebpf
fi
finish
