#!/usr/bin/env bash
# The OTLP export against a real tracing backend: Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger
# v1.76.0, an OpenTelemetry collector distribution), built once from the Go module proxy with the real go
# (a reference tool here; rt0trace never runs go) and cached in the test cache (common.bash), run with
# in-memory storage, its OTLP/HTTP receiver and its query API on free 127.0.0.1 ports. A startup traced
# by rt0trace (one process; fork+exec; one with TRACEPARENT) is sent with report --otlp-endpoint and read
# back through the query API: /api/traces/ID (Jaeger's own model, microseconds) and /api/v3/traces/ID
# (OTLP, nanoseconds): span names, parent/child structure, durations equal to the report's JSON
# (dur_ns: exact in v3, dur_ns/1000 truncated in Jaeger's microseconds), the attributes present, the
# TRACEPARENT's trace id and parent span. Then Jaeger stopped: report --otlp-endpoint exits 6 with one
# message and leaves the trace's bytes as they were. Skipped with the reason when go is missing or the
# module cannot be fetched or built.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
need_fixture diamond
need_ptrace
command -v python3 >/dev/null || skip "python3 is not installed"
command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed (scripts/setup installs it)"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS \
  OTEL_EXPORTER_OTLP_TRACES_HEADERS OTEL_SERVICE_NAME OTEL_TRACES_EXPORTER TRACEPARENT

# --- Jaeger, built once ---------------------------------------------------------------------------------------
JV=v1.76.0
JDIR=$TEST_CACHE/jaeger-$JV
J=$JDIR/jaeger
if [ ! -x "$J" ]; then
  GO=${GOROOT:-/usr/local/go}/bin/go
  [ -x "$GO" ] || skip "no go at '$GO' to build Jaeger with (set GOROOT)"
  mkdir -p "$JDIR" "$TMP/jmod" || die "cannot create '$JDIR'"
  echo "building Jaeger $JV (once; cached in $JDIR)"
  start=$(date +%s)
  (
    cd "$TMP/jmod" &&
      export GOMODCACHE=$TEST_CACHE/gomodcache GOTOOLCHAIN=local GOFLAGS=-buildvcs=false &&
      "$GO" mod init rt0trace.test/jaeger &&
      "$GO" get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JV" &&
      "$GO" build -trimpath -o "$JDIR/jaeger.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger
  ) >"$TMP/jbuild.log" 2>&1 || { rm -f "$JDIR/jaeger.tmp.$$"; skip "Jaeger $JV could not be fetched or built: $(tail -2 "$TMP/jbuild.log" | tr '\n' ' ')"; }
  mv "$JDIR/jaeger.tmp.$$" "$J" || die "cannot put Jaeger at '$J'"
  echo "built Jaeger $JV in $(( $(date +%s) - start )) s"
fi

freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
OTLP=$(freeport) QHTTP=$(freeport) QGRPC=$(freeport)
cat > "$TMP/jaeger.yaml" <<EOF
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: []
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: mem
    http:
      endpoint: 127.0.0.1:$QHTTP
    grpc:
      endpoint: 127.0.0.1:$QGRPC
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 1000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$OTLP
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
EOF
"$J" --config "$TMP/jaeger.yaml" >"$TMP/jaeger.log" 2>&1 &
JPID=$!
trap 'kill $JPID 2>/dev/null; wait $JPID 2>/dev/null; chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
Q=http://127.0.0.1:$QHTTP
for _ in $(seq 300); do
  curl -sf "$Q/api/services" >/dev/null 2>&1 && curl -s -o /dev/null "http://127.0.0.1:$OTLP/" 2>/dev/null && break
  kill -0 $JPID 2>/dev/null || die "Jaeger exited: $(tail -5 "$TMP/jaeger.log")"
  sleep 0.2
done
curl -sf "$Q/api/services" >/dev/null || die "Jaeger's query API did not come up: $(tail -5 "$TMP/jaeger.log")"
pass "Jaeger $JV runs: OTLP/HTTP on 127.0.0.1:$OTLP, query API on $QHTTP, in-memory storage"

# fetch ID FILE: the trace through /api/traces/ID (Jaeger's model) into FILE.v1, /api/v3/traces/ID into
# FILE.v3, once Jaeger has it all (`want` spans; the receiver's pipeline stores asynchronously)
fetch() {
  local id=$1 out=$2 want=$3 n=0
  for _ in $(seq 100); do
    curl -s "$Q/api/traces/$id" >"$out.v1"
    n=$(jq '.data[0].spans | length' "$out.v1" 2>/dev/null || echo 0)
    [ "$n" = "$want" ] && break
    sleep 0.2
  done
  [ "$n" = "$want" ] || die "Jaeger has $n spans of trace $id, want $want: $(head -c 300 "$out.v1")"
  curl -sf "$Q/api/v3/traces/$id" >"$out.v3" || die "/api/v3/traces/$id failed"
}

# check.py OTLP REPORT.json V1 V3 [PARENT_SPAN]: what Jaeger gives back is what was sent and what the
# report says
cat > "$TMP/check.py" <<'EOF'
import json, sys
otlp = json.load(open(sys.argv[1])); rep = json.load(open(sys.argv[2]))
v1 = json.load(open(sys.argv[3]))["data"][0]; v3 = json.load(open(sys.argv[4]))["result"]
parent = sys.argv[5] if len(sys.argv) > 5 else None
sent = otlp["resourceSpans"][0]["scopeSpans"][0]["spans"]
kind = lambda s: next((a["value"]["stringValue"] for a in s["attributes"] if a["key"] == "rt0trace.phase.kind"), None)
# Jaeger's model (v1): names, parents, durations in microseconds
spans = {s["spanID"]: s for s in v1["spans"]}
assert sorted(s["operationName"] for s in spans.values()) == sorted(s["name"] for s in sent), "span names differ"
byname_sent = {s["spanId"]: s for s in sent}
for s in sent:
    j = spans[s["spanId"]]
    refs = [r for r in j["references"] if r["refType"] == "CHILD_OF"]
    if "parentSpanId" in s:
        assert len(refs) == 1 and refs[0]["spanID"] == s["parentSpanId"], (s["name"], refs)
    else:
        assert not refs, (s["name"], refs)
    dur = int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])
    assert j["duration"] == dur // 1000, (s["name"], j["duration"], dur)
    assert j["startTime"] == int(s["startTimeUnixNano"]) // 1000, s["name"]
root = [s for s in sent if s["name"] == "startup"][0]
if parent:
    assert spans[root["spanId"]]["references"][0]["spanID"] == parent
phases = [s for s in sent if kind(s)]
assert [s["name"] for s in phases] == [p["name"] for p in rep["phases"]], "phase names"
for s, p in zip(phases, rep["phases"]):
    j = spans[s["spanId"]]
    assert j["duration"] == p["dur_ns"] // 1000, (p["name"], j["duration"], p["dur_ns"])
    tags = {t["key"]: t["value"] for t in j["tags"]}
    for k in ("rt0trace.phase.kind", "rt0trace.phase.syscalls", "rt0trace.phase.syscall.names", "rt0trace.phase.syscall.counts"):
        assert k in tags, (p["name"], k, sorted(tags))
    assert int(tags["rt0trace.phase.syscalls"]) == p["syscalls"], p["name"]
    assert j["processID"]
rtags = {t["key"]: t["value"] for t in spans[root["spanId"]]["tags"]}
for k in ("rt0trace.engine", "rt0trace.syscalls", "rt0trace.checks.failed"):
    assert k in rtags, (k, sorted(rtags))
checks = [l for l in spans[root["spanId"]]["logs"] if any(f["key"] == "event" and f["value"] == "rt0trace.check" for f in l["fields"])]
assert len(checks) == len(rep["checks"]), (len(checks), len(rep["checks"]))
proc = v1["processes"][spans[root["spanId"]]["processID"]]
ptags = {t["key"]: t["value"] for t in proc["tags"]}
assert proc["serviceName"] == rep["binary"]["path"].rsplit("/", 1)[-1], proc["serviceName"]
go = rep["binary"] and rep["binary"].get("go_version")
for k in ("process.pid", "process.executable.path") + (("process.runtime.version", "rt0trace.go.build_id") if go else ()):
    assert k in ptags, (k, sorted(ptags))
if go:
    assert ptags["rt0trace.go.build_id"] == rep["binary"]["build_id"] and ptags["process.runtime.version"] == go
# OTLP (v3): the nanoseconds exactly as sent
back = {s["spanId"]: s for rs in v3["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]}
assert len(back) == len(sent)
for s in sent:
    b = back[s["spanId"]]
    assert (b["startTimeUnixNano"], b["endTimeUnixNano"], b["name"]) == (s["startTimeUnixNano"], s["endTimeUnixNano"], s["name"]), s["name"]
for s, p in zip(phases, rep["phases"]):
    b = back[s["spanId"]]
    assert int(b["endTimeUnixNano"]) - int(b["startTimeUnixNano"]) == p["dur_ns"], p["name"]
print(len(sent), len(phases))
EOF

# roundtrip NAME TRACE [PARENT_SPAN]: send TRACE, read it back, check it
roundtrip() {
  local n=$1 t=$2 parent=${3:-} id nspans res
  run_ok 0 "report --format otlp $n" -- "$R" report --format otlp -o "$TMP/$n.otlp.json" "$t"
  run_ok 0 "report --format json $n" -- "$R" report --format json -o "$TMP/$n.report.json" "$t"
  id=$(jq -r '.resourceSpans[0].scopeSpans[0].spans[0].traceId' "$TMP/$n.otlp.json")
  nspans=$(jq '.resourceSpans[0].scopeSpans[0].spans | length' "$TMP/$n.otlp.json")
  run_ok 0 "report --otlp-endpoint $n" -- "$R" report --otlp-endpoint "http://127.0.0.1:$OTLP" -o "$TMP/$n.txt" "$t"
  grepq '^rt0trace report:' "$TMP/$n.txt" || die "$n: the text report was not written"
  fetch "$id" "$TMP/$n.back" "$nspans"
  res=$(python3 "$TMP/check.py" "$TMP/$n.otlp.json" "$TMP/$n.report.json" "$TMP/$n.back.v1" "$TMP/$n.back.v3" $parent 2>&1) \
    || die "$n: what Jaeger gives back differs: $res"
  set -- $res
  pass "$n: Jaeger has trace $id: $1 spans with the names, parents and ns times sent; $2 phase spans whose durations are the report's dur_ns (v3, ns) and dur_ns/1000 (Jaeger's µs); attributes, check events and the resource's process.*, rt0trace.go.build_id present"
}

run_ok 0 "run diamond" -- "$R" run -o "$TMP/d.jsonl" -- "$FX/diamond"
roundtrip diamond "$TMP/d.jsonl"
run_ok 0 "run -f sh -c diamond" -- "$R" run -f -o "$TMP/fork.jsonl" -- /bin/sh -c "$FX/diamond >/dev/null; true"
roundtrip fork "$TMP/fork.jsonl"
jq -e '[.data[0].spans[] | select(.operationName | startswith("process "))] | length >= 2' "$TMP/fork.back.v1" >/dev/null \
  || die "fork: Jaeger has no process spans"
pass "fork+exec: the process spans are in Jaeger"

TPT=0af7651916cd43dd8448eb211c80319c TPS=b7ad6b7169203331
TRACEPARENT=00-$TPT-$TPS-01 run_ok 0 "run diamond with TRACEPARENT" -- "$R" run -o "$TMP/tp.jsonl" -- "$FX/diamond"
roundtrip traceparent "$TMP/tp.jsonl" "$TPS"
[ "$(jq -r '.data[0].traceID' "$TMP/traceparent.back.v1")" = "$TPT" ] || die "TRACEPARENT: Jaeger's trace id is not the parent's"
pass "TRACEPARENT: Jaeger files the startup under the parent's trace id $TPT, the root a child of span $TPS"

# --- collector down -------------------------------------------------------------------------------------------
kill $JPID
wait $JPID 2>/dev/null
sum=$(sha256sum < "$TMP/d.jsonl")
"$R" report --otlp-endpoint "http://127.0.0.1:$OTLP" -o "$TMP/down.txt" "$TMP/d.jsonl" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 6 ] || die "Jaeger stopped: exit $rc, want 6: $(cat "$TMP/err")"
[ "$(wc -l < "$TMP/err")" -eq 1 ] || die "Jaeger stopped: $(wc -l < "$TMP/err") lines on stderr: $(cat "$TMP/err")"
grepq "^rt0trace: cannot export the trace to 'http://127.0.0.1:$OTLP/v1/traces': .* (3 attempts)$" "$TMP/err" || die "Jaeger stopped: '$(cat "$TMP/err")'"
[ "$(sha256sum < "$TMP/d.jsonl")" = "$sum" ] || die "the trace file changed"
grepq '^rt0trace report:' "$TMP/down.txt" || die "Jaeger stopped: the text report was not written"
pass "Jaeger stopped: exit 6, '$(cat "$TMP/err")'; the report written, the trace's bytes unchanged"
finish
