#!/usr/bin/env bash
# A container start's critical path (report/proctree.c) and the readiness points (report --ready, run --ready).
#  - tests/integration/traces/podman-run.jsonl: a real `podman --runtime runc run --rm --rootfs DIR /prog`
#    (the diamond fixture) recorded by `run --engine ebpf -f`, trimmed to its processes (exec, clone, exit),
#    main probes, namespace calls and the CLI's stats of /var/lib/containers: its steps are runtime CLI,
#    image/storage, runtime monitor (conmon) twice, OCI create, OCI init three times, exec → main and
#    ready → exit, contiguous from 0 and summing to the root's whole wall time; the same trace as a
#    nerdctl/containerd-shim start (paths renamed) names the monitor so, and without decoded paths (raw)
#    has no image/storage step;
#  - `runc run` of the diamond fixture recorded now with the eBPF engine (skipped when runc, root or eBPF
#    is missing): OCI create, OCI init..., exec → main, ready → exit, summing to runc's wall time;
#    --ready fd-write:1 (diamond prints its line) adds main → ready in the container's program; --ready
#    listen is not reached: said so (text, JSON), the path then ends at main (and the root's exit);
#  - the clisten fixture under ptrace: each kind of readiness point reached, in program order, the path
#    ending with main → ready at it; run --ready writes the header's "ready", report --ready overrides it;
#  - bad readiness points: one message, exit 2 (report and run); a bad header "ready", exit 3; run --ready
#    SYMBOL the program lacks, exit 3.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
P=$RT0_SRC/tests/integration/traces/podman-run.jsonl

# covers FILE END_EXPR: the critical path starts at 0, is contiguous and ends at END (a jq expression)
covers() {
  jq -e "(.critical_path) as \$p | ($2) as \$stop | (\$p | length) > 0 and \$p[0].start_ns == 0
    and ([\$p[].dur_ns] | add) == \$stop and (\$p[-1].start_ns + \$p[-1].dur_ns) == \$stop
    and ([range(1; \$p | length) | \$p[.].start_ns == \$p[. - 1].start_ns + \$p[. - 1].dur_ns] | all)" "$1" >/dev/null
}
steps() { jq -c '[.critical_path[].step]' "$1"; }
# rep NAME ARGS...: report ARGS; a failed check (exit 1) is fine here (the trimmed trace has no entry probe)
rep() {
  local name=$1
  shift
  "$R" report "$@"
  local rc=$?
  [ $rc -le 1 ] || die "$name: report $*: exit $rc"
}

# --- podman run (recorded, trimmed) --------------------------------------------------------------------
rep podman --format json -o "$TMP/podman.json" "$P"
want='["runtime CLI","image/storage","runtime monitor (conmon)","runtime monitor (conmon)","OCI create","OCI init","OCI init","OCI init","exec → main","ready → exit"]'
[ "$(steps "$TMP/podman.json")" = "$want" ] || die "podman: steps $(steps "$TMP/podman.json"), want $want"
root_end='.processes[0].end_ns'
covers "$TMP/podman.json" "$root_end" ||
  die "podman: the path $(jq -c .critical_path "$TMP/podman.json") does not cover the root's wall time"
jq -e '.processes[0].comm == "podman" and .processes[0].exited and (has("ready") | not)
  and ([.critical_path[] | select(.step == "exec → main")][0].pid) as $m
  | ([.processes[] | select(.pid == $m)][0] | .comm == "prog" and .container)
  and .critical_path[-1].pid == .processes[0].pid' "$TMP/podman.json" >/dev/null ||
  die "podman: the path does not end in the container's prog and podman's exit: $(jq -c .critical_path "$TMP/podman.json")"
pass "podman run: $(steps "$TMP/podman.json" | tr -d '"') sum to podman's wall time"
rep podman -o "$TMP/podman.txt" "$P"
grepq -E '^  image/storage +[0-9]+ ' "$TMP/podman.txt" && grepq -E '^  ready → exit ' "$TMP/podman.txt" ||
  die "podman: the text report has not the named steps: $(sed -n '/^critical path/,/^$/p' "$TMP/podman.txt")"
pass "podman run: the text report's critical path has the named steps"

# each process's phases: the container's prog (the trimmed trace keeps its main probe only) has "exec"
# from its exec to main.main, as the path's "exec → main" step; conmon, whose probes were not hit, has none
got=$(jq -c '[.processes[] | select(.comm == "prog")][0].phases' "$TMP/podman.json")
jq -e --argjson ph "$got" '[.critical_path[] | select(.step == "exec → main")][0] as $s
  | ($ph | map(.name)) == ["exec", "main.main"] and $ph[0].start_ns == $s.start_ns and $ph[0].dur_ns == $s.dur_ns
  and $ph[1].start_ns == $s.start_ns + $s.dur_ns' "$TMP/podman.json" >/dev/null ||
  die "podman: prog's phases $got do not run from its exec to main as the path's exec → main"
jq -e '[.processes[] | select(.comm == "conmon") | .phases == []] | length > 0 and all' "$TMP/podman.json" >/dev/null ||
  die "podman: conmon has phases: $(jq -c '[.processes[] | {comm, phases}]' "$TMP/podman.json")"
grepq -E '^ +[0-9]+ prog .* container  [0-9]+ phases, exec → main [0-9.]+ ms$' "$TMP/podman.txt" ||
  die "podman: the text tree has not prog's phases: $(sed -n '/^processes/,/^$/p' "$TMP/podman.txt")"
rep podman --format html -o "$TMP/podman.html" "$P"
pid=$(jq '[.processes[] | select(.comm == "prog")][0].pid' "$TMP/podman.json")
row=$(sed -n "/<tr class=\"proc-row container\" data-pid=\"$pid\"/,/<\/tr>/p" "$TMP/podman.html")
grepq '<td class="proc-phases" data-phases="2"><details><summary>2 phases, exec → main ' <<<"$row" &&
  [ "$(grep -o 'class="proc-phase" data-start-ns="[0-9]*" data-dur-ns="[0-9]*"' <<<"$row" | tr -dc '0-9\n ' | xargs)" = \
    "$(jq -r '[.[] | "\(.start_ns) \(.dur_ns)"] | join(" ")' <<<"$got")" ] ||
  die "podman: the HTML process table has not prog's phases: $row"
pass "podman run: prog's phases $(jq -c 'map(.name)' <<<"$got") in the tree (text, HTML); conmon has none"

# the same start by nerdctl and containerd's shim, in containerd's storage
sed -e 's|/usr/bin/conmon|/usr/bin/containerd-shim-runc-v2|g' -e 's|/usr/bin/podman|/usr/local/bin/nerdctl|g' \
  -e 's|/var/lib/containers|/var/lib/containerd|g' "$P" > "$TMP/nerdctl.jsonl"
rep nerdctl --format json -o "$TMP/nerdctl.json" "$TMP/nerdctl.jsonl"
want='["runtime CLI","image/storage","runtime monitor (containerd-shim-runc-v2)","runtime monitor (containerd-shim-runc-v2)","OCI create","OCI init","OCI init","OCI init","exec → main","ready → exit"]'
[ "$(steps "$TMP/nerdctl.json")" = "$want" ] || die "nerdctl: steps $(steps "$TMP/nerdctl.json"), want $want"
pass "nerdctl + containerd-shim: the monitor is named by its comm, the storage under /var/lib/containerd"

# raw: no decoded path, so no image/storage step: the CLI runs to its fork
jq -c 'if .type == "syscall" then del(.path) else . end' "$P" > "$TMP/raw.jsonl"
rep raw --format json -o "$TMP/raw.json" "$TMP/raw.jsonl"
jq -e --argjson p "$(jq -c .critical_path "$TMP/podman.json")" '.critical_path[0].step == "runtime CLI"
  and .critical_path[0].dur_ns == $p[0].dur_ns + $p[1].dur_ns and ([.critical_path[].step] | index("image/storage") | not)' \
  "$TMP/raw.json" >/dev/null || die "raw: $(jq -c .critical_path "$TMP/raw.json")"
covers "$TMP/raw.json" "$root_end" || die "raw: the path does not cover the root's wall time"
pass "podman run without decoded paths: runtime CLI up to the fork, no image/storage"

# --ready on a trace without the point: said so, the path ends at main and the root's exit
rep "podman --ready listen" --ready listen --format json -o "$TMP/nl.json" "$P"
jq -e '.ready == {"spec": "listen", "reached": false} and .critical_path[-2].step == "exec → main"
  and ([.critical_path[].step] | index("main → ready") | not)' "$TMP/nl.json" >/dev/null ||
  die "podman --ready listen: $(jq -c '{ready, critical_path}' "$TMP/nl.json")"
rep "podman --ready listen" --ready listen -o "$TMP/nl.txt" "$P"
grepq '^ready (listen): not reached: .*the critical path ends at main' "$TMP/nl.txt" ||
  die "podman --ready listen: the text report does not say it was not reached"
rep "podman --ready listen" --ready listen --format html -o "$TMP/nl.html" "$P"
grepq '<p class="meta" id="ready" data-reached="false">ready (<b class="mono">listen</b>): not reached' "$TMP/nl.html" ||
  die "podman --ready listen: the HTML page has no ready line saying it was not reached"
rep podman --format html -o "$TMP/podman.html" "$P"
grepq 'id="ready"' "$TMP/podman.html" && die "podman: the HTML page has a ready line without a readiness point"
pass "--ready listen on a trace without one: not reached (text, JSON, HTML), the path ends at main then the exit"

# --- bad readiness points ------------------------------------------------------------------------------
for bad in "" "fd-write:" "fd-write:x" "fd-write:-1" "fd-write:99999999999" "two words" "-x"; do
  for cmd in report run; do
    if [ "$cmd" = report ]; then "$R" report --ready "$bad" "$P" >/dev/null 2>"$TMP/err"; else
      "$R" run --ready "$bad" -o "$TMP/bad.jsonl" -- true >/dev/null 2>"$TMP/err"; fi
    rc=$?
    [ $rc -eq 2 ] && [ "$(grep -c 'readiness point' "$TMP/err")" -eq 1 ] ||
      die "$cmd --ready '$bad': exit $rc, want 2 with one message: $(cat "$TMP/err")"
  done
done
"$R" report --ready >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grepq "'--ready' needs an argument" "$TMP/err" || die "report --ready without a value: $(cat "$TMP/err")"
{ head -n 1 "$P" | jq -c '.ready = "fd-write:oops"'; tail -n +2 "$P"; } > "$TMP/badhdr.jsonl"
"$R" report "$TMP/badhdr.jsonl" >/dev/null 2>"$TMP/err"
[ $? -eq 3 ] && grepq 'header "ready" that is not a readiness point' "$TMP/err" ||
  die "a bad header ready: $(cat "$TMP/err")"
"$R" report --ready main "$TMP/badhdr.jsonl" >/dev/null 2>&1
[ $? -le 1 ] || die "report --ready main does not override a bad header"
pass "bad readiness points: exit 2 with one message (report, run); a bad header \"ready\": exit 3"

# --- the clisten fixture: each kind of readiness point ------------------------------------------------
need_fixture clisten
need_ptrace
"$R" run --ready rt0_ready -o "$TMP/l.jsonl" -- "$FX/clisten" >/dev/null 2>"$TMP/err" || die "clisten traced: exit $?: $(cat "$TMP/err")"
jq -e '.ready == "rt0_ready" and ([.binary.probes[] | select(.role == "ready") | .symbol] == ["rt0_ready"])' \
  <(head -n 1 "$TMP/l.jsonl") >/dev/null || die "run --ready rt0_ready: header $(head -n 1 "$TMP/l.jsonl" | jq -c '{ready, p: .binary.probes}')"
rep clisten --format json -o "$TMP/l.json" "$TMP/l.jsonl"
jq -e '.ready.spec == "rt0_ready" and .ready.reached and .ready.event == "rt0_ready"' "$TMP/l.json" >/dev/null ||
  die "clisten: the header's ready is not used: $(jq -c .ready "$TMP/l.json")"
main=$(jq '.phases[] | select(.name == "main") | .start_ns' "$TMP/l.json")
[ -n "$main" ] || die "clisten: no main phase"
prev=0
for spec in listen fd-write:1 rt0_ready accept; do
  rep clisten --ready "$spec" --format json -o "$TMP/r.json" "$TMP/l.jsonl"
  ev=${spec%%:*}; [ "$ev" = fd-write ] && ev=write
  jq -e --arg s "$spec" --arg ev "$ev" --argjson main "$main" --argjson prev "$prev" '.ready.spec == $s and .ready.reached
    and .ready.event == $ev and .ready.t_ns > $prev and .ready.t_ns >= $main
    and [.critical_path[].step] == ["exec → main", "main → ready"] and .critical_path[-1].start_ns == $main' "$TMP/r.json" \
    >/dev/null || die "clisten --ready $spec: $(jq -c '{ready, critical_path}' "$TMP/r.json") (main at $main)"
  covers "$TMP/r.json" .ready.t_ns || die "clisten --ready $spec: the path does not end at the ready point"
  prev=$(jq .ready.t_ns "$TMP/r.json")
done
pass "clisten: listen, fd-write:1, rt0_ready, accept reached in program order; the path ends with main → ready"
"$R" report --ready listen "$TMP/l.jsonl" | grepq -E '^ready \(listen\): listen in process [0-9]+ at \+' ||
  die "clisten: the text report has no ready line"
rep clisten --ready listen --format json -o "$TMP/r.json" "$TMP/l.jsonl"
rep clisten --ready listen --format html -o "$TMP/r.html" "$TMP/l.jsonl"
grepq "<p class=\"meta\" id=\"ready\" data-reached=\"true\" data-t-ns=\"$(jq .ready.t_ns "$TMP/r.json")\" data-pid=\"$(jq .ready.pid "$TMP/r.json")\">ready (<b class=\"mono\">listen</b>): <span class=\"mono\">listen</span> in process" "$TMP/r.html" ||
  die "clisten: the HTML page has no ready line at the JSON's point: $(grep -o '<p[^>]*id="ready".*' "$TMP/r.html")"
pass "clisten: the HTML page's ready line is the JSON's point"
"$R" run --ready nosuch_function -o "$TMP/n.jsonl" -- "$FX/clisten" >/dev/null 2>"$TMP/err"
[ $? -eq 3 ] && grepq "no such function" "$TMP/err" || die "run --ready nosuch_function: $(cat "$TMP/err")"
pass "run --ready SYMBOL the program lacks: exit 3, said so"

# --- runc run, recorded now ----------------------------------------------------------------------------
need_fixture diamond
command -v runc >/dev/null || { echo "skipped: no runc"; finish; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "skipped: runc run needs root"; finish; exit 0; }
B=$("$RT0_SRC/scripts/oci-bundle" "$FX/diamond" "$TMP/bundle") || die "oci-bundle failed"
# The eBPF engine does not always read the container program's image at its exec (its path "" and no probes,
# more often under load): then the path is empty and said so.
# up to three recordings, then a skip saying so.
for try in 1 2 3; do
  "$R" run --engine ebpf -f -o "$TMP/runc.jsonl" -- runc run --bundle "$B" "rt0-cpath-$$-$try" >/dev/null 2>"$TMP/err"
  rc=$?
  if [ $rc -eq 4 ]; then
    echo "skipped: the eBPF engine cannot run here: $(head -c 200 "$TMP/err")"
    finish
    exit 0
  fi
  [ $rc -eq 0 ] || die "runc run traced: exit $rc: $(head -c 300 "$TMP/err")"
  rep runc --format json -o "$TMP/runc.json" "$TMP/runc.jsonl"
  jq -e '.critical_path | length > 0' "$TMP/runc.json" >/dev/null && break
  if [ $try -eq 3 ]; then
    echo "skipped: the eBPF engine probed the container's program in none of 3 recordings of runc run"
    rep runc -o "$TMP/runc.txt" "$TMP/runc.jsonl"
    grepq "^critical path: the container's program (process [0-9]*) reached no main" "$TMP/runc.txt" ||
      die "runc: a container program without main: $(sed -n '/^critical path/,/^$/p' "$TMP/runc.txt")"
    pass "runc run, the container's program unprobed: no path, said so"
    finish
    exit 0
  fi
done
jq -e '[.critical_path[].step] as $s | $s[0] == "OCI create" and ($s[1:-2] | length > 0 and all(. == "OCI init"))
  and $s[-2] == "exec → main" and $s[-1] == "ready → exit"
  and .critical_path[0].pid == .processes[0].pid and .critical_path[-1].pid == .processes[0].pid
  and ([.processes[] | select(.pid == .critical_path[-2].pid)] | length <= 1)' "$TMP/runc.json" >/dev/null ||
  die "runc: steps $(jq -c '[.critical_path[] | [.step, .pid]]' "$TMP/runc.json")"
covers "$TMP/runc.json" "$root_end" || die "runc: the path $(jq -c .critical_path "$TMP/runc.json") does not cover runc's wall time"
pass "runc run: $(steps "$TMP/runc.json" | tr -d '"') sum to runc's wall time"
rep runc --ready fd-write:1 --format json -o "$TMP/rw.json" "$TMP/runc.jsonl"
jq -e '.ready.reached and .ready.event == "write" and .ready.pid == .critical_path[-3].pid
  and [.critical_path[-3:][].step] == ["exec → main", "main → ready", "ready → exit"]' "$TMP/rw.json" >/dev/null ||
  die "runc --ready fd-write:1: $(jq -c '{ready, s: [.critical_path[] | [.step, .pid]]}' "$TMP/rw.json")"
covers "$TMP/rw.json" "$root_end" || die "runc --ready fd-write:1: the path does not cover runc's wall time"
pass "runc run --ready fd-write:1: the container's write to stdout, then runc's exit"
finish
