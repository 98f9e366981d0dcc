#!/usr/bin/env bash
# report --format otlp and --otlp-endpoint without a tracing backend (otlp.sh has the Jaeger round trip):
# the OTLP/JSON of real traces (one process, fork+exec, a crash, an old trace without realtime_ns)
# validates against docs/schemas/otlp.schema.json, and a broken one does not; the same trace gives the
# same output; the spans tile the report's phases exactly; run records a valid TRACEPARENT (and warns about
# and leaves out an invalid one), and the export links to it; the endpoint from the flag and from the
# SDKs' variables (the path each gets), OTEL_EXPORTER_OTLP_HEADERS and OTEL_SERVICE_NAME reach a
# collector (a small python3 HTTP server on 127.0.0.1); retries: 503 three attempts, 400 one with the
# collector's message; collector down: one message, exit 6, the trace's bytes unchanged; bad URLs: exit 2
# (flag) and 4 (variable).
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
SCHEMAS=${RT0_SRC:?}/docs/schemas
need_fixture diamond
need_fixture crash
need_ptrace
command -v python3 >/dev/null || skip "python3 is not installed"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3's jsonschema module is not installed (scripts/setup installs python3-jsonschema)"
command -v jq >/dev/null || skip "jq is not installed (scripts/setup installs it)"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS \
  OTEL_EXPORTER_OTLP_TRACES_HEADERS OTEL_SERVICE_NAME OTEL_TRACES_EXPORTER TRACEPARENT

cat > "$TMP/validate.py" <<'EOF'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
errs = list(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:10]:
    print("/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message[:200], file=sys.stderr)
sys.exit(1 if errs else 0)
EOF
valid() { python3 "$TMP/validate.py" "$SCHEMAS/otlp.schema.json" "$1" 2>"$TMP/v.err" || die "$2: not valid OTLP/JSON: $(head -5 "$TMP/v.err")"; pass "$2 matches otlp.schema.json"; }
invalid() { python3 "$TMP/validate.py" "$SCHEMAS/otlp.schema.json" "$1" 2>"$TMP/v.err" && die "$2: still valid"; pass "$2 fails otlp.schema.json: $(head -1 "$TMP/v.err")"; }
spans() { jq -c '.resourceSpans[0].scopeSpans[0].spans[]' "$1"; }
rattr() { jq -r --arg k "$2" '.resourceSpans[0].resource.attributes[] | select(.key == $k) | .value | .stringValue // .intValue // (.boolValue|tostring)' "$1"; }

# --- the OTLP/JSON of real traces ------------------------------------------------------------------------------
TP=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
TRACEPARENT=$TP run_ok 0 "run diamond with TRACEPARENT" -- "$R" run -o "$TMP/tp.jsonl" -- "$FX/diamond"
[ "$(head -1 "$TMP/tp.jsonl" | jq -r .traceparent)" = "$TP" ] || die "run did not record TRACEPARENT in the header"
head -1 "$TMP/tp.jsonl" | jq -e '.realtime_ns > 1600000000000000000' >/dev/null || die "the header has no realtime_ns"
pass "run records the environment's TRACEPARENT and realtime_ns in the header"
TRACEPARENT=00-xyz run_ok 0 "run with an invalid TRACEPARENT" -- "$R" run -o "$TMP/d.jsonl" -- "$FX/diamond"
grepq "warning: TRACEPARENT '00-xyz' is not a W3C traceparent" "$TMP/err" || die "no warning for an invalid TRACEPARENT: $(cat "$TMP/err")"
head -1 "$TMP/d.jsonl" | jq -e 'has("traceparent") | not' >/dev/null || die "an invalid TRACEPARENT was recorded"
pass "an invalid TRACEPARENT: a warning, and no traceparent in the header"
run_ok 0 "run -f sh -c (fork+exec)" -- "$R" run -f -o "$TMP/fork.jsonl" -- /bin/sh -c "$FX/diamond >/dev/null; true"
RT0_CRASH=nil run_ok 2 "run crash" -- "$R" run -o "$TMP/crash.jsonl" -- "$FX/crash"
# an old trace: no realtime_ns (the file's modification time is taken as its end)
jq -c 'if .type == "header" then del(.realtime_ns) else . end' "$TMP/d.jsonl" > "$TMP/old.jsonl"
touch -d '2024-01-02 03:04:05 UTC' "$TMP/old.jsonl"

for n in d tp fork crash old; do
  "$R" report --format otlp -o "$TMP/$n.otlp.json" "$TMP/$n.jsonl" 2>"$TMP/err"
  rc=$?
  [ $rc -le 1 ] || die "report --format otlp $n: exit $rc: $(cat "$TMP/err")"
  valid "$TMP/$n.otlp.json" "report --format otlp of $n (exit $rc)"
done

# the spans: phases tile [t0, end] as the report's JSON says, to the nanosecond
run_ok 0 "report --format json diamond" -- "$R" report --format json -o "$TMP/d.report.json" "$TMP/d.jsonl"
t0w=$(head -1 "$TMP/d.jsonl" | python3 -c 'import json, sys; print(json.load(sys.stdin)["realtime_ns"])')
jq -r '.phases[] | "\(.name) \(.start_ns) \(.dur_ns) \(.syscalls)"' "$TMP/d.report.json" > "$TMP/want.phases"
spans "$TMP/d.otlp.json" | jq -r --argjson t0 "$t0w" 'select(.attributes | any(.key == "rt0trace.phase.kind"))
  | "\(.name) \((.startTimeUnixNano|tonumber) - $t0) \((.endTimeUnixNano|tonumber) - (.startTimeUnixNano|tonumber)) \(.attributes[] | select(.key == "rt0trace.phase.syscalls") | .value.intValue)"' > "$TMP/got.phases" 2>"$TMP/jq.err"
# (jq's numbers are doubles: 19-digit nanosecond times lose their last digits; compare with the exact ones below)
n=$(wc -l < "$TMP/want.phases")
[ "$n" -gt 5 ] || die "the diamond report has only $n phases"
[ "$(wc -l < "$TMP/got.phases")" -eq "$n" ] || die "OTLP has $(wc -l < "$TMP/got.phases") phase spans, the report $n phases"
python3 - "$TMP/d.otlp.json" "$TMP/d.report.json" "$t0w" <<'EOF' || die "phase spans differ from the report's phases"
import json, sys
o = json.load(open(sys.argv[1])); rep = json.load(open(sys.argv[2])); t0 = int(sys.argv[3])
spans = o["resourceSpans"][0]["scopeSpans"][0]["spans"]
root = [s for s in spans if s["name"] == "startup"]
assert len(root) == 1 and "parentSpanId" not in root[0], "one root span 'startup' without a parent"
phases = [s for s in spans if any(a["key"] == "rt0trace.phase.kind" for a in s["attributes"])]
for p, s in zip(rep["phases"], phases):
    assert s["name"] == p["name"], (s["name"], p["name"])
    assert int(s["startTimeUnixNano"]) - t0 == p["start_ns"], (s["name"], s["startTimeUnixNano"], p["start_ns"])
    assert int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"]) == p["dur_ns"], s["name"]
    assert s["parentSpanId"] == root[0]["spanId"], s["name"]
    a = {x["key"]: x["value"] for x in s["attributes"]}
    assert int(a["rt0trace.phase.syscalls"]["intValue"]) == p["syscalls"], s["name"]
    assert len(a["rt0trace.phase.syscall.names"]["arrayValue"]["values"]) == len(a["rt0trace.phase.syscall.counts"]["arrayValue"]["values"])
assert root[0]["startTimeUnixNano"] == str(t0), "the root starts at t0"
assert root[0]["endTimeUnixNano"] == phases[-1]["endTimeUnixNano"], "the root ends where the last phase does"
ev = [e for e in root[0]["events"] if e["name"] == "rt0trace.check"]
assert [{x["key"]: x["value"]["stringValue"] for x in e["attributes"]}["rt0trace.check.name"] for e in ev] == [c["name"] for c in rep["checks"]]
EOF
pass "diamond: a root span at t0 and $n phase spans under it with the report's names, starts, durations and syscall counts (ns), a check event each"

[ "$(rattr "$TMP/d.otlp.json" service.name)" = diamond ] || die "service.name is '$(rattr "$TMP/d.otlp.json" service.name)', want diamond"
[ "$(rattr "$TMP/d.otlp.json" rt0trace.go.build_id)" = "$(jq -r .binary.build_id "$TMP/d.report.json")" ] || die "rt0trace.go.build_id differs from the binary's"
[ "$(rattr "$TMP/d.otlp.json" process.runtime.version)" = "$(jq -r .binary.go_version "$TMP/d.report.json")" ] || die "process.runtime.version differs"
[ "$(rattr "$TMP/d.otlp.json" process.pid)" = "$(jq -r .pid "$TMP/d.report.json")" ] || die "process.pid differs"
pass "resource: service.name, process.pid, process.runtime.version and rt0trace.go.build_id as the report says"
OTEL_SERVICE_NAME=svc-x run_ok 0 "report --format otlp with OTEL_SERVICE_NAME" -- "$R" report --format otlp "$TMP/d.jsonl"
[ "$(rattr "$TMP/out" service.name)" = svc-x ] || die "OTEL_SERVICE_NAME not used"
pass "OTEL_SERVICE_NAME names the service"

# the same trace, the same output; another trace, other IDs
run_ok 0 "report --format otlp again" -- "$R" report --format otlp -o "$TMP/d2.otlp.json" "$TMP/d.jsonl"
cmp -s "$TMP/d.otlp.json" "$TMP/d2.otlp.json" || die "two exports of one trace differ"
cmp -s "$TMP/old.otlp.json" <("$R" report --format otlp "$TMP/old.jsonl") || die "two exports of the old trace differ"
[ "$(spans "$TMP/d.otlp.json" | jq -r .traceId | sort -u)" != "$(spans "$TMP/crash.otlp.json" | jq -r .traceId | sort -u)" ] || die "two traces share a trace id"
pass "the same trace gives the same output (IDs from the header); two traces, two trace ids"

# the old trace: its end at the file's modification time
python3 - "$TMP/old.otlp.json" "$(stat -c %Y "$TMP/old.jsonl")" <<'EOF' || die "the old trace is not anchored at its file's modification time"
import json, sys
spans = json.load(open(sys.argv[1]))["resourceSpans"][0]["scopeSpans"][0]["spans"]
end = max(int(s["endTimeUnixNano"]) for s in spans)
assert abs(end - int(sys.argv[2]) * 10**9) < 10**9, (end, sys.argv[2])
EOF
pass "a trace without realtime_ns ends at its file's modification time"

# TRACEPARENT: every span in the parent's trace, the root's parent the parent span
spans "$TMP/tp.otlp.json" | jq -e -s --arg t 4bf92f3577b34da6a3ce929d0e0e4736 'all(.traceId == $t)' >/dev/null || die "TRACEPARENT's trace id not used"
spans "$TMP/tp.otlp.json" | jq -e -s 'map(select(.name == "startup")) | .[0].parentSpanId == "00f067aa0ba902b7"' >/dev/null || die "the root's parent is not TRACEPARENT's span"
pass "TRACEPARENT: the startup's spans are in its trace, the root a child of its span"

# processes: fork+exec gives a process span per process, phases under the analysed one
python3 - "$TMP/fork.otlp.json" "$TMP/fork.jsonl" <<'EOF' || die "fork+exec: process spans wrong"
import json, sys
spans = json.load(open(sys.argv[1]))["resourceSpans"][0]["scopeSpans"][0]["spans"]
by = {s["spanId"]: s for s in spans}
procs = [s for s in spans if s["name"].startswith("process ")]
assert len(procs) >= 2, [s["name"] for s in spans]
root = [s for s in spans if s["name"] == "startup"][0]
assert by[procs[0]["parentSpanId"]] is root
for p in procs[1:]:
    assert by[p["parentSpanId"]]["name"].startswith("process "), p["name"]
phases = [s for s in spans if any(a["key"] == "rt0trace.phase.kind" for a in s["attributes"])]
assert phases and all(by[s["parentSpanId"]] is procs[0] for s in phases)
a = {x["key"]: x["value"] for x in procs[1]["attributes"]}
assert "process.pid" in a and "process.parent_pid" in a and a["process.executable.name"]["stringValue"] == "diamond"
EOF
pass "fork+exec: a span per process under its parent's, the phases under the analysed process"
# the crash: an exception event, the root's status an error
spans "$TMP/crash.otlp.json" | jq -e -s 'any(.[].events[]?; .name == "exception") and (map(select(.name == "startup"))[0].status.code == 2)' >/dev/null \
  || die "the crash has no exception event or the root no error status"
pass "a crash: an exception event, the root's status an error naming the failed checks"

# a broken document fails the schema (the check can fail)
spans "$TMP/d.otlp.json" >/dev/null
jq '.resourceSpans[0].scopeSpans[0].spans[0].traceId = "ABC"' "$TMP/d.otlp.json" > "$TMP/bad1.json"
invalid "$TMP/bad1.json" "a trace id of 3 upper-case digits"
jq '.resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano = 1700000000000000000' "$TMP/d.otlp.json" > "$TMP/bad2.json"
invalid "$TMP/bad2.json" "a start time as a number"
jq '.resourceSpans[0].resource.attributes[0].value = {"intValue": 3}' "$TMP/d.otlp.json" > "$TMP/bad3.json"
invalid "$TMP/bad3.json" "an intValue as a number"

# --- export to a collector -------------------------------------------------------------------------------------
# collector.py PORTFILE LOG: answers POSTs with the status its path asks for (/s503/..., /s400/...; else
# 200) and logs each request (path, headers, body length) as a JSON line.
cat > "$TMP/collector.py" <<'EOF'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
log = open(sys.argv[2], "a")
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        log.write(json.dumps({"path": self.path, "ctype": self.headers.get("Content-Type"),
                              "xh": self.headers.get("X-Team"), "spans": len(json.loads(body)["resourceSpans"][0]["scopeSpans"][0]["spans"])}) + "\n")
        log.flush()
        code = int(self.path[2:5]) if self.path.startswith("/s") else 200
        out = json.dumps({"code": 3, "message": "bad span in request"} if code == 400 else {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a): pass
s = HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.timeout = 60
for _ in range(40):
    s.handle_request()
EOF
python3 "$TMP/collector.py" "$TMP/port" "$TMP/requests.jsonl" &
COLL=$!
trap 'kill $COLL 2>/dev/null; chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || die "the test collector did not start"
P=$(cat "$TMP/port")
last() { tail -1 "$TMP/requests.jsonl"; }
nreq() { wc -l < "$TMP/requests.jsonl" 2>/dev/null || echo 0; }

sum0=$(sha256sum < "$TMP/d.jsonl")
run_ok 0 "report --otlp-endpoint http://127.0.0.1:$P" -- "$R" report --otlp-endpoint "http://127.0.0.1:$P" -o "$TMP/text.out" "$TMP/d.jsonl"
[ "$(last | jq -r .path)" = /v1/traces ] || die "the flag without a path: POSTed to $(last | jq -r .path), want /v1/traces"
[ "$(last | jq -r .ctype)" = application/json ] || die "Content-Type $(last | jq -r .ctype)"
[ "$(last | jq -r .spans)" = "$(spans "$TMP/d.otlp.json" | wc -l)" ] || die "the collector got $(last | jq -r .spans) spans"
grepq '^rt0trace report:' "$TMP/text.out" || die "the text report was not written with --otlp-endpoint"
pass "--otlp-endpoint URL: POSTed to /v1/traces as application/json, every span; the text report written as usual"
run_ok 0 "--otlp-endpoint URL/custom/path" -- "$R" report --format json --otlp-endpoint "http://127.0.0.1:$P/custom/path" "$TMP/d.jsonl"
[ "$(last | jq -r .path)" = /custom/path ] || die "a path of the flag's URL was not kept: $(last | jq -r .path)"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$P/base/" OTEL_EXPORTER_OTLP_HEADERS="X-Team = a%20b , other=1" \
  run_ok 0 "OTEL_EXPORTER_OTLP_ENDPOINT" -- "$R" report --format json "$TMP/d.jsonl"
[ "$(last | jq -r .path)" = /base/v1/traces ] || die "OTEL_EXPORTER_OTLP_ENDPOINT: POSTed to $(last | jq -r .path), want /base/v1/traces"
[ "$(last | jq -r .xh)" = "a b" ] || die "OTEL_EXPORTER_OTLP_HEADERS: X-Team '$(last | jq -r .xh)', want 'a b'"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1" OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:$P/t" \
  run_ok 0 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" -- "$R" report --format json "$TMP/d.jsonl"
[ "$(last | jq -r .path)" = /t ] || die "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: POSTed to $(last | jq -r .path), want /t"
n0=$(nreq)
OTEL_TRACES_EXPORTER=none OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$P" run_ok 0 "OTEL_TRACES_EXPORTER=none" -- "$R" report "$TMP/d.jsonl"
[ "$(nreq)" -eq "$n0" ] || die "OTEL_TRACES_EXPORTER=none still exported"
pass "endpoints: a flag's path kept; OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; the traces variable as is and first; headers percent-decoded; OTEL_TRACES_EXPORTER=none exports nothing"

# retries: 503 three attempts then exit 6; 400 one attempt with the collector's message
n0=$(nreq)
expect_error 6 "rt0trace: cannot export the trace to 'http://127.0.0.1:$P/s503/v1/traces': HTTP 503 (3 attempts)" \
  "a collector answering 503" -- "$R" report --format json -o "$TMP/r.json" --otlp-endpoint "http://127.0.0.1:$P/s503/v1/traces" "$TMP/d.jsonl"
[ $(( $(nreq) - n0 )) -eq 3 ] || die "503: $(( $(nreq) - n0 )) requests, want 3"
[ -s "$TMP/r.json" ] || die "503: the report was not written"
n0=$(nreq)
expect_error 6 "rt0trace: cannot export the trace to 'http://127.0.0.1:$P/s400/v1/traces': HTTP 400: bad span in request (1 attempt)" \
  "a collector answering 400" -- "$R" report --format json -o "$TMP/r.json" --otlp-endpoint "http://127.0.0.1:$P/s400/v1/traces" "$TMP/d.jsonl"
[ $(( $(nreq) - n0 )) -eq 1 ] || die "400: $(( $(nreq) - n0 )) requests, want 1"
pass "503 is tried 3 times, 400 once; each ends in exit 6 with the report written"

# collector down: a port nothing listens on
DOWN=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$R" report --format json -o "$TMP/r.json" --otlp-endpoint "http://127.0.0.1:$DOWN" "$TMP/d.jsonl" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 6 ] || die "collector down: exit $rc, want 6: $(cat "$TMP/err")"
[ "$(wc -l < "$TMP/err")" -eq 1 ] || die "collector down: $(wc -l < "$TMP/err") lines on stderr"
grepq "^rt0trace: cannot export the trace to 'http://127.0.0.1:$DOWN/v1/traces': .*(3 attempts)$" "$TMP/err" || die "collector down: '$(cat "$TMP/err")'"
[ "$(sha256sum < "$TMP/d.jsonl")" = "$sum0" ] || die "the trace file changed"
pass "collector down: exit 6, '$(cat "$TMP/err")', the trace's bytes unchanged"

# bad endpoints
expect_exit 2 "--otlp-endpoint ftp://x" -- "$R" report --otlp-endpoint ftp://x "$TMP/d.jsonl"
[ "$(head -1 "$TMP/err")" = "rt0trace report: --otlp-endpoint 'ftp://x' is not an http:// or https:// URL" ] || die "--otlp-endpoint ftp://x: '$(head -1 "$TMP/err")'"
OTEL_EXPORTER_OTLP_ENDPOINT=localhost:4318 expect_error 4 "rt0trace: OTEL_EXPORTER_OTLP_ENDPOINT 'localhost:4318' is not an http:// or https:// URL" \
  "OTEL_EXPORTER_OTLP_ENDPOINT without a scheme" -- "$R" report "$TMP/d.jsonl"
finish
