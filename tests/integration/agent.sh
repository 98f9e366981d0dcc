#!/usr/bin/env bash
# rt0trace agent: container starts traced without wrapping anything (issue 17). The agent runs in the
# background; containers are started by runc and podman as a user would; the agent's traces and reports
# are checked: the tree (podman, conmon, runc, runc's init, the program), the program's init order
# against the placed (inittrace) order, the critical path against the measured wall time, a start it
# did not see begin, ten starts at once, a busy unrelated process, SIGTERM, and bad options.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
need_fixture diamond
SKIPPED=()

"$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"
[ $? -ne 4 ] || skip "the eBPF engine cannot run here: $(cat "$TMP/probe.err")"

# --- bad options: exit 2 with the message and a pointer to --help; 3 when DIR is unusable ----------------
usage_error() {
  local line=$1 what=$2
  shift 3
  expect_exit 2 "$what" -- "$@"
  [ "$(head -1 "$TMP/err")" = "$line" ] && [ "$(sed -n 2p "$TMP/err")" = "Try 'rt0trace agent --help'." ] \
    || die "$what: stderr '$(cat "$TMP/err")', want '$line' and the pointer to --help"
}
usage_error "rt0trace agent: bad readiness point 'two words': a symbol has no spaces or control characters (main, listen, accept, fd-write:N or a SYMBOL)" \
  "agent --ready 'two words'" -- "$R" agent --ready "two words"
usage_error "rt0trace agent: bad readiness point 'fd-write:x': fd-write needs a file descriptor number 0..2147483647 after the colon" \
  "agent --ready fd-write:x" -- "$R" agent --ready fd-write:x
usage_error "rt0trace agent: --max-startup wants a duration such as 30s or 500ms (at least 1ms), not '5 parsecs'" \
  "agent --max-startup '5 parsecs'" -- "$R" agent --max-startup "5 parsecs"
usage_error "rt0trace agent: --trigger wants a program's name (1 to 15 bytes, no '/'), not 'a-very-long-program-name'" \
  "agent --trigger too long" -- "$R" agent --trigger a-very-long-program-name
usage_error "rt0trace agent: unexpected argument 'podman'" \
  "agent with an argument" -- "$R" agent podman
: > "$TMP/afile"
expect_error 3 "rt0trace agent: cannot write into '$TMP/afile': not a directory" "agent -o FILE" -- "$R" agent -o "$TMP/afile"

# start_agent DIR [OPTIONS...]: the agent in the background ($AGENT its pid), ready when it says so.
start_agent() {
  local dir=$1
  shift
  "$R" agent -o "$dir" "$@" >"$dir.out" 2>"$dir.err" &
  AGENT=$!
  for _ in $(seq 1 300); do
    grepq "following container starts" "$dir.err" && return 0
    kill -0 "$AGENT" 2>/dev/null || die "the agent ended at its start: $(cat "$dir.err")"
    sleep 0.1
  done
  die "the agent did not start within 30 s: $(cat "$dir.err")"
}
# until_reported DIR ID: waits (at most 120 s) for the agent's line of container ID, then stops it
# (SIGTERM; it must exit 0). Every check but --once's waits for its own container so: the agent follows
# every container start on the machine, and anyone may start one meanwhile.
until_reported() {
  local dir=$1 id=$2 n=0
  while ! grepq "^container $id: " "$dir.out" && [ $n -lt 1200 ]; do
    kill -0 "$AGENT" 2>/dev/null || die "the agent ended before reporting $id: $(cat "$dir.out" "$dir.err")"
    sleep 0.1
    n=$((n + 1))
  done
  kill -TERM "$AGENT"
  wait "$AGENT" || die "the agent exited $? after SIGTERM: $(cat "$dir.err")"
  grepq "^container $id: " "$dir.out" || die "no report of $id within 120 s: $(cat "$dir.out" "$dir.err")"
}
# wait_agent: waits (at most 120 s) for a --once agent to end; its exit status must be 0.
wait_agent() {
  local n=0
  while kill -0 "$AGENT" 2>/dev/null && [ $n -lt 1200 ]; do sleep 0.1; n=$((n + 1)); done
  kill -0 "$AGENT" 2>/dev/null && { kill "$AGENT"; die "the --once agent did not end within 120 s: $(cat "$1.err")"; }
  wait "$AGENT" || die "the agent exited $?: $(cat "$1.err")"
}
# check_container REPORT PROGRAM-FILE: every check of the program's report passed, and its init order
# is the one the Go runtime itself reports (GODEBUG=inittrace=1) for the same binary.
check_container() {
  local rep=$1 bin=$2
  jq -e '.checks | length > 5 and all(.status == "pass")' "$rep" >/dev/null \
    || die "$rep: not every check passed: $(jq -c '[.checks[] | select(.status != "pass") | {name, status, detail}]' "$rep")"
  jq -r '.init_order.observed[]' "$rep" > "$TMP/observed"
  inittrace_order "$bin" > "$TMP/inittrace"
  diff -u "$TMP/inittrace" "$TMP/observed" >&2 || die "$rep: the observed init order differs from inittrace's"
}

# --- runc run: one container, --once --------------------------------------------------------------------
if ! command -v runc >/dev/null; then
  SKIPPED+=("runc: not installed (scripts/setup installs it)")
else
  "$(dirname "$0")/../../scripts/oci-bundle" "$FX/diamond" "$TMP/bundle" >/dev/null || die "oci-bundle failed"
  id=rt0-agent-$$
  # a collector for --otlp-endpoint: it keeps each POSTed body as a line of $TMP/otlp.jsonl
  cat > "$TMP/collector.py" <<'EOF'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps(json.loads(body)) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a): pass
s = HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.handle_request()
EOF
  python3 "$TMP/collector.py" "$TMP/port" "$TMP/otlp.jsonl" &
  coll=$!
  for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
  [ -s "$TMP/port" ] || die "the test collector did not start"
  # --once: the agent ends by itself once it reported a container (this one, unless someone else's
  # starts first on this machine in the same second)
  start_agent "$TMP/a1" --once --otlp-endpoint "http://127.0.0.1:$(cat "$TMP/port")"
  runc run --bundle "$TMP/bundle" "$id" > "$TMP/runc.out" 2>&1 || die "runc run failed: $(cat "$TMP/runc.out")"
  runc delete -f "$id" >/dev/null 2>&1
  wait_agent "$TMP/a1"
  [ -f "$TMP/a1/$id.trace.jsonl" ] && [ -f "$TMP/a1/$id.report.json" ] \
    || die "runc run: no $id.trace.jsonl and $id.report.json in the agent's directory: $(ls -A "$TMP/a1") $(cat "$TMP/a1.err")"
  ! ls -A "$TMP/a1" | grepq '^\.rt0trace-agent-' || die "runc run: the agent left a session's temporary trace: $(ls -A "$TMP/a1")"
  grepq "^container $id: ready .* trace $TMP/a1/$id.trace.jsonl, report $TMP/a1/$id.report.json$" "$TMP/a1.out" \
    || die "the agent's line for $id: $(cat "$TMP/a1.out")"
  jq -s -e --arg id "$id" '[.[] | select(.type == "container")] | length == 1 and .[0].id == $id and .[0].runtime == "runc" and .[0].observed_from_start' \
    "$TMP/a1/$id.trace.jsonl" >/dev/null || die "runc run: the trace's container event: $(grep '"container"' "$TMP/a1/$id.trace.jsonl")"
  jq -s -e '.[0].binary.path == "/usr/sbin/runc" and .[-1].type == "footer" and .[-1].complete' "$TMP/a1/$id.trace.jsonl" >/dev/null \
    || die "runc run: the trace starts at runc's exec and ends complete"
  jq -e '.program == "/prog" and ([.processes[].comm] | index("runc") != null and index("prog") != null)' "$TMP/a1/$id.report.json" >/dev/null \
    || die "runc run: the report is not /prog's in a tree with runc: $(jq -c '{program, p: [.processes[]?.comm]}' "$TMP/a1/$id.report.json")"
  check_container "$TMP/a1/$id.report.json" "$FX/diamond"
  pass "runc run: the agent wrote $id.trace.jsonl and $id.report.json (ID from runc's command line): runc → its init → /prog, all checks, init order = inittrace"
  wait "$coll"
  jq -e --arg id "$id" '.resourceSpans[0].resource.attributes | any(.key == "container.id" and .value.stringValue == $id)' "$TMP/otlp.jsonl" >/dev/null \
    || die "--otlp-endpoint: the collector got no trace with container.id $id: $(head -c 300 "$TMP/otlp.jsonl")"
  jq -e '.container.observed_from_start and .container.runtime == "runc" and .container.start_ns > 0' "$TMP/a1/$id.report.json" >/dev/null \
    || die "the report's container: $(jq -c .container "$TMP/a1/$id.report.json")"
  pass "agent --otlp-endpoint: the report went to the collector as OTLP with container.id $id; the report JSON's container says runc, seen from the start"

  # --- a start the agent did not see begin: runc create before the agent, runc start after -------------
  id2=rt0-agent-late-$$
  runc create --bundle "$TMP/bundle" "$id2" > "$TMP/late.out" 2>&1 || die "runc create failed: $(cat "$TMP/late.out")"
  start_agent "$TMP/a2"
  runc start "$id2" >> "$TMP/late.out" 2>&1 || die "runc start failed: $(cat "$TMP/late.out")"
  until_reported "$TMP/a2" "$id2"
  runc delete -f "$id2" >/dev/null 2>&1
  f=$TMP/a2/$id2.trace.jsonl
  [ -f "$f" ] || die "runc create, agent, runc start: no trace: $(cat "$TMP/a2.out" "$TMP/a2.err")"
  jq -s -e '[.[] | select(.type == "container")] | length == 1 and (.[0].observed_from_start | not)' "$f" >/dev/null \
    || die "a start not observed from its beginning is not marked so: $(grep '"container"' "$f")"
  grepq "^container $id2: .*(not observed from its beginning)" "$TMP/a2.out" || die "the agent's line does not say the start was seen late: $(cat "$TMP/a2.out")"
  pass "a container created before the agent started: traced from runc's init exec'ing /prog, named $id2 from runc's state, marked observed_from_start false"

  # --- what is not a container start leaves nothing; a busy unrelated process leaves nothing -----------
  start_agent "$TMP/a3"
  (while :; do /bin/true; done) &
  busy=$!
  runc list >/dev/null 2>&1
  runc --help >/dev/null 2>&1
  id3=rt0-agent-busy-$$
  runc run --bundle "$TMP/bundle" "$id3" > /dev/null 2>&1 || die "runc run (busy) failed"
  runc delete -f "$id3" >/dev/null 2>&1
  for _ in $(seq 1 1200); do grepq "^container $id3:" "$TMP/a3.out" && break; sleep 0.1; done
  kill "$busy"
  kill -TERM "$AGENT"
  wait "$AGENT" || die "the agent exited $? after SIGTERM: $(cat "$TMP/a3.err")"
  # our container's two files; any other file is another container's (someone else's start), never a
  # tree without a container's nor a session's temporary trace
  [ -f "$TMP/a3/$id3.trace.jsonl" ] && [ -f "$TMP/a3/$id3.report.json" ] || die "runc run (busy): no files of $id3: $(ls -A "$TMP/a3")"
  for f in $(ls -A "$TMP/a3"); do
    case $f in
      *.trace.jsonl) grepq '"type":"container"' "$TMP/a3/$f" || die "runc list, runc --help, a busy loop: $f is not a container's trace" ;;
      *.report.json) [ -f "$TMP/a3/${f%.report.json}.trace.jsonl" ] || die "runc list, runc --help, a busy loop: $f has no trace" ;;
      *) die "runc list, runc --help, a busy loop and one container: the directory holds $f" ;;
    esac
  done
  ! jq -s -e --argjson b "$busy" 'any(.[]; .pid? == $b)' "$TMP/a3/$id3.trace.jsonl" >/dev/null \
    || die "the busy loop ($busy) is in the container's trace"
  ! grepq '"path":"/bin/true"' "$TMP/a3/$id3.trace.jsonl" || die "the busy loop's /bin/true is in the container's trace"
  pass "runc list / runc --help leave nothing, a busy unrelated loop is in no trace, SIGTERM ends the agent (exit 0)"
fi

# --- podman: the whole start, podman → conmon → runc → runc's init → the program ------------------------
. "$(dirname "$0")/lib/containers.bash"
if ! podman_usable >"$TMP/podman.why"; then
  SKIPPED+=("podman: $(cat "$TMP/podman.why")")
else
  # the program as users ship it: built by the pipeline, made an image by rt0trace image, loaded by podman
  img=localhost/rt0-agent-diamond:$$
  mkdir -p "$TMP/pl"
  (cd "$RT0_SRC/tests/fixtures/diamond" && CGO_ENABLED=0 RT0TRACE_CACHE=$TEST_CACHE/containers/build-cache \
    "$R" build --manifest "$TMP/pl/diamond.manifest.json" -o "$TMP/pl/diamond" .) >"$TMP/pl/build.out" 2>&1 \
    || die "rt0trace build of diamond: $(tail -3 "$TMP/pl/build.out")"
  "$R" image --format oci-archive -t "$img" -o "$TMP/pl/diamond.tar" "$TMP/pl/diamond" >"$TMP/pl/image.out" 2>&1 \
    || die "rt0trace image of diamond: $(cat "$TMP/pl/image.out")"
  podman_cmd load -i "$TMP/pl/diamond.tar" >"$TMP/pl/load.out" 2>&1 || die "podman load: $(cat "$TMP/pl/load.out")"
  # followed until podman itself exits, however slow this machine is today
  start_agent "$TMP/a4" --after-ready 120s
  t0=$(date +%s%N)
  podman_cmd run --rm --cidfile "$TMP/a4.cid" "$img" > "$TMP/podman.out" 2>&1 || die "podman run failed: $(cat "$TMP/podman.out")"
  t1=$(date +%s%N)
  until_reported "$TMP/a4" "$(cat "$TMP/a4.cid")"
  rep=$TMP/a4/$(cat "$TMP/a4.cid").report.json
  [ -f "$rep" ] || die "podman run: no report: $(cat "$TMP/a4.out" "$TMP/a4.err")"
  podman_cmd image inspect --format '{{.Id}}' "$img" >/dev/null 2>&1 || die "podman image inspect"
  [[ $(basename "$rep") =~ ^[0-9a-f]{64}\.report\.json$ ]] || die "podman run: the report is not named by the container's ID: $rep"
  jq -e --arg id "$(basename "$rep" .report.json)" '.container.id == $id and (.container.cgroup | contains($id))' "$rep" >/dev/null \
    || die "podman run: the report's container is not the ID's, or its cgroup does not name it: $(jq -c .container "$rep")"
  jq -e '[.processes[].comm] as $c | ["podman", "conmon", "runc", "diamond"] | all(. as $x | $c | index($x) != null)' "$rep" >/dev/null \
    || die "podman run: the tree lacks podman, conmon, runc or prog: $(jq -c '[.processes[].comm] | unique' "$rep")"
  # runc's init: the process between runc and /prog (runc forks it, it forks the one that execs /prog)
  jq -e '(.processes | map({key: (.pid | tostring), value: .}) | from_entries) as $p
         | [.processes[] | select(.comm == "diamond")][0] as $prog
         | $p[$prog.ppid | tostring] as $init1 | [$init1, $p[$init1.ppid | tostring], $p[($p[$init1.ppid | tostring].ppid // 0) | tostring]]
         | map(select(. != null) | .comm) | index("runc") != null' "$rep" >/dev/null \
    || die "podman run: /diamond is not forked by runc's init under runc"
  check_container "$rep" "$TMP/pl/diamond"
  wall=$(( (t1 - t0) / 1000 ))
  jq -e --argjson w "$wall" '([.critical_path[].dur_ns] | add / 1000) as $s | ($s - $w | fabs) <= 0.05 * $w' "$rep" >/dev/null \
    || die "podman run: the critical path's steps sum to $(jq '[.critical_path[].dur_ns] | add / 1e6' "$rep") ms, the measured wall time is $((wall / 1000)) ms (more than 5% apart): $(jq -c '[.critical_path[] | {step, ms: (.dur_ns / 1e6)}]' "$rep")"
  pass "podman run of an image rt0trace image made of a pipeline-built program: podman → conmon → runc → runc's init → /diamond in the agent's report, all checks, init order = inittrace, critical path $(jq '[.critical_path[].dur_ns] | add / 1e6 | floor' "$rep") ms for $((wall / 1000)) ms measured"

  # --- ten containers at once: ten complete reports ------------------------------------------------------
  start_agent "$TMP/a5"
  runs=()
  for i in $(seq 1 10); do podman_cmd run --rm --cidfile "$TMP/cid.$i" "$img" > "$TMP/par.$i" 2>&1 & runs+=($!); done
  for p in "${runs[@]}"; do wait "$p" || die "one of ten podman runs at once failed: $(cat "$TMP"/par.*)"; done
  for _ in $(seq 1 600); do [ "$(grep -c '^container ' "$TMP/a5.out")" -ge 10 ] && break; sleep 0.1; done
  kill -TERM "$AGENT"
  wait "$AGENT" || die "the agent exited $? after SIGTERM: $(cat "$TMP/a5.err")"
  for i in $(seq 1 10); do # each of them reported (another container started meanwhile would be too)
    [ -f "$TMP/a5/$(cat "$TMP/cid.$i").report.json" ] || die "ten podman runs at once: no report of $(cat "$TMP/cid.$i"): $(cat "$TMP/a5.out" "$TMP/a5.err")"
  done
  for f in $(for i in $(seq 1 10); do echo "$TMP/a5/$(cat "$TMP/cid.$i").trace.jsonl"; done); do
    jq -s -e '.[-1].type == "footer" and (.[-1].lost | type == "number") and ([.[] | select(.type == "probe" and .role == "main")] | length >= 1)' "$f" >/dev/null \
      || die "$f: no footer with its lost count, or no main.main"
    r=${f%.trace.jsonl}.report.json
    jq -e '.program == "/diamond" and (.checks[] | select(.name == "no lost events") | .status == "pass" or (.detail | test("lost")))' "$r" >/dev/null \
      || die "$r: not /diamond's report, or its lost events are not reported"
  done
  pass "ten podman runs at once: ten traces and reports, each reaching main.main, lost counted ($(for i in $(seq 1 10); do tail -1 "$TMP/a5/$(cat "$TMP/cid.$i").trace.jsonl"; done | jq -s 'map(.lost) | add') records lost in all)"

  # --- a cgo program whose init sleeps 50 ms: the sleep is on the critical path ------------------------
  if command -v musl-gcc >/dev/null; then
    simg=localhost/rt0-agent-slowinit:$$
    (cd "$RT0_SRC/tests/fixtures/slowinit" && CGO_ENABLED=1 CC=musl-gcc RT0TRACE_CACHE=$TEST_CACHE/containers/build-cache \
      "$R" build -ldflags '-linkmode external -extldflags -static' -o "$TMP/pl/slowinit" .) >"$TMP/pl/sbuild.out" 2>&1 \
      || die "rt0trace build of slowinit (musl): $(tail -3 "$TMP/pl/sbuild.out")"
    "$R" image --format oci-archive -t "$simg" -o "$TMP/pl/slowinit.tar" "$TMP/pl/slowinit" >"$TMP/pl/simage.out" 2>&1 \
      || die "rt0trace image of slowinit: $(cat "$TMP/pl/simage.out")"
    podman_cmd load -i "$TMP/pl/slowinit.tar" >"$TMP/pl/sload.out" 2>&1 || die "podman load slowinit: $(cat "$TMP/pl/sload.out")"
    start_agent "$TMP/a6"
    podman_cmd run --rm --cidfile "$TMP/a6.cid" "$simg" > "$TMP/slow.out" 2>&1 || die "podman run slowinit: $(cat "$TMP/slow.out")"
    until_reported "$TMP/a6" "$(cat "$TMP/a6.cid")"
    rep=$TMP/a6/$(cat "$TMP/a6.cid").report.json
    [ -f "$rep" ] || die "podman run slowinit: no report: $(cat "$TMP/a6.out" "$TMP/a6.err")"
    jq -e '.program == "/slowinit" and ([.phases[] | select(.name == "init example.com/slowinit/slow" and .dur_ns >= 50000000)] | length == 1)' "$rep" >/dev/null \
      || die "slowinit: no init phase of example.com/slowinit/slow of 50 ms or more: $(jq -c '[.phases[] | {name, dur_ns}]' "$rep")"
    jq -e '[.critical_path[] | select(.step == "exec \u2192 main" and .dur_ns >= 50000000)] | length == 1' "$rep" >/dev/null \
      || die "slowinit: the critical path's exec → main step does not hold the 50 ms init: $(jq -c '[.critical_path[] | {step, dur_ns}]' "$rep")"
    pass "podman run of the pipeline-built musl cgo slowinit: its package's 50 ms init is a phase ($(jq '[.phases[] | select(.name == "init example.com/slowinit/slow")][0].dur_ns / 1e6 | floor' "$rep") ms) inside the critical path's exec → main"
    podman_cmd rmi -f "$simg" >/dev/null 2>&1
  else
    SKIPPED+=("slowinit: musl-gcc is not installed (scripts/setup installs musl-tools)")
  fi

  # --- containerd: ctr run, started by containerd's shim, not by anything the agent sees begin ----------
  if containerd_start >"$TMP/ctrd.why"; then
    podman_cmd save --format oci-archive -o "$TMP/diamond.oci.tar" "$img" >"$TMP/save.out" 2>&1 || die "podman save: $(cat "$TMP/save.out")"
    ctr_import "$TMP/diamond.oci.tar" "$img" >"$TMP/import.out" 2>&1 || die "ctr images import: $(cat "$TMP/import.out")"
    cid=rt0-agent-ctr-$$
    start_agent "$TMP/a7"
    ctr_cmd run --rm "$img" "$cid" > "$TMP/ctr.out" 2>&1 || die "ctr run: $(cat "$TMP/ctr.out")"
    until_reported "$TMP/a7" "$cid"
    [ -f "$TMP/a7/$cid.report.json" ] || die "ctr run: no $cid.report.json: $(ls -A "$TMP/a7") $(cat "$TMP/a7.out" "$TMP/a7.err")"
    jq -e '[.processes[].comm] | index("runc") != null and index("diamond") != null' "$TMP/a7/$cid.report.json" >/dev/null \
      || die "ctr run: the tree lacks runc or diamond: $(jq -c '[.processes[].comm]' "$TMP/a7/$cid.report.json")"
    check_container "$TMP/a7/$cid.report.json" "$TMP/pl/diamond"
    pass "ctr run through containerd: the agent follows the shim's runc create to /diamond ($cid.report.json), all checks, init order = inittrace"
    containerd_stop
  else
    SKIPPED+=("ctr run: $(cat "$TMP/ctrd.why")")
  fi
  podman_cmd rmi -f "$img" >/dev/null 2>&1
fi

[ ${#SKIPPED[@]} -eq 0 ] || for s in "${SKIPPED[@]}"; do echo "skipped: $s"; done
finish
