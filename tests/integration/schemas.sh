#!/usr/bin/env bash
# The documented formats hold: real output of every machine-readable format rt0trace writes is validated
# against its JSON Schema in docs/schemas/ (python3's jsonschema module): traces of the ptrace engine (a Go
# program, a crash, a C program, fork+exec, -p, -e trace=, an interrupted run), of the eBPF engine when
# it can run here, and of the preload engine on the cgo fixture; the report JSON of each kind of trace
# (a cut one too); a baseline (bench -o); check --json; compare --json; inspect --json; the manifest of
# rt0trace build (pure Go and cgo). A key dropped or renamed in real output must fail validation, and a
# key added must not.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
SCHEMAS=${RT0_SRC:?}/docs/schemas
for f in diamond diamond-stripped crash cprog cmany spin cgo; do need_fixture "$f"; done
need_ptrace
command -v python3 >/dev/null || skip "python3 is not installed"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3's jsonschema module is not installed (scripts/setup installs python3-jsonschema)"
command -v jq >/dev/null || skip "jq is not installed (scripts/setup installs it)"

# validate.py SCHEMA_DIR SCHEMA FILE [--lines] [--legacy]: every document of FILE (each line with --lines)
# against SCHEMA; prints how many documents, or the errors and exits 1. --legacy resolves the schemas'
# references through jsonschema.RefResolver, the API of Debian 12's python3-jsonschema (4.10), instead of
# the `referencing` registry of jsonschema >= 4.18; without `referencing` it is the only way.
cat > "$TMP/validate.py" <<'EOF'
import glob, json, os, sys, warnings

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match


def load_schemas(sdir):
    schemas = {}
    for p in sorted(glob.glob(os.path.join(sdir, "*.schema.json"))):
        with open(p) as f:
            schemas[os.path.basename(p)] = json.load(f)
    for s in schemas.values():
        Draft202012Validator.check_schema(s)
    return schemas


def validator(schemas, name, legacy):
    if not legacy:
        try:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012
        except ImportError:
            legacy = True
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver(base_uri=name, referrer=schemas[name], store=dict(schemas))
            return Draft202012Validator(schemas[name], resolver=resolver)
    registry = Registry().with_resources(
        (n, Resource.from_contents(s, default_specification=DRAFT202012)) for n, s in schemas.items())
    return Draft202012Validator(schemas[name], registry=registry)


def main():
    sdir, name, path = sys.argv[1:4]
    opts = sys.argv[4:]
    v = validator(load_schemas(sdir), name, "--legacy" in opts)
    with open(path) as f:
        if "--lines" in opts:
            docs = [("line %d " % i, json.loads(l)) for i, l in enumerate(f, 1) if l.strip()]
        else:
            docs = [("", json.load(f))]
    errs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for where, doc in docs:
            for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
                e = best_match([e])  # into oneOf/anyOf: the branch that came closest, not the whole object
                at = "/" + "/".join(str(p) for p in e.absolute_path)
                errs.append("%s%s: %s" % (where, at, e.message[:240]))
    if errs:
        for e in errs[:15]:
            print(e, file=sys.stderr)
        print("%d errors in %d documents of %s" % (len(errs), len(docs), path), file=sys.stderr)
        sys.exit(1)
    print(len(docs))


main()
EOF

# valid SCHEMA FILE [--lines] [--legacy] -- WHAT: FILE validates against docs/schemas/SCHEMA.
valid() {
  local schema=$1 file=$2 opts=() n
  shift 2
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
  n=$(python3 "$TMP/validate.py" "$SCHEMAS" "$schema" "$file" "${opts[@]}" 2>"$TMP/validate.err") \
    || die "$*: does not match $schema: $(cat "$TMP/validate.err")"
  pass "$* matches $schema ($n document$([ "$n" -eq 1 ] || echo s))"
}
# invalid SCHEMA FILE [--lines] -- WHAT: FILE must fail validation (a required key taken out).
invalid() {
  local schema=$1 file=$2 opts=()
  shift 2
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
  python3 "$TMP/validate.py" "$SCHEMAS" "$schema" "$file" "${opts[@]}" >/dev/null 2>"$TMP/validate.err" \
    && die "$*: still matches $schema"
  grep -q 'errors in' "$TMP/validate.err" || die "$*: the validator failed for another reason: $(cat "$TMP/validate.err")"
  pass "$* fails $schema: $(head -1 "$TMP/validate.err")"
}
# types FILE...: the event types of traces, sorted, one line.
types() { jq -r .type "$@" | sort -u | tr '\n' ' '; }

python3 "$TMP/validate.py" "$SCHEMAS" trace.schema.json /dev/null --lines >/dev/null 2>"$TMP/validate.err" \
  || die "the schemas are not valid JSON Schema draft 2020-12: $(tail -3 "$TMP/validate.err")"
pass "every docs/schemas/*.schema.json is a valid JSON Schema (draft 2020-12; jsonschema $(python3 -c 'import importlib.metadata as m; print(m.version("jsonschema"))' 2>/dev/null || echo '?'))"

# --- traces: the ptrace engine ----------------------------------------------------------------------------
T=$TMP/trace
mkdir -p "$T"
run_ok 0 "run diamond" -- "$R" run -o "$T/p-diamond.jsonl" -- "$FX/diamond"
valid trace.schema.json "$T/p-diamond.jsonl" --lines -- "ptrace trace of diamond"
valid trace.schema.json "$T/p-diamond.jsonl" --lines --legacy -- "ptrace trace of diamond (RefResolver)"
RT0_CRASH=nil run_ok 2 "run crash (nil dereference in an init)" -- "$R" run -o "$T/p-crash.jsonl" -- "$FX/crash"
valid trace.schema.json "$T/p-crash.jsonl" --lines -- "ptrace trace of a Go crash (crash, stderr events)"
run_ok 0 "run cprog" -- "$R" run -o "$T/p-cprog.jsonl" -- "$FX/cprog"
valid trace.schema.json "$T/p-cprog.jsonl" --lines -- "ptrace trace of a C program"
run_ok 0 "run -f sh -c 'diamond; cmany forks 2'" -- "$R" run -f -o "$T/p-fork.jsonl" -- /bin/sh -c "$FX/diamond >/dev/null; $FX/cmany forks 2"
valid trace.schema.json "$T/p-fork.jsonl" --lines -- "ptrace -f trace of fork+exec (exec with binary, clones)"
run_ok 0 "run -e trace=%memory" -- "$R" run -e trace=%memory -o "$T/p-filter.jsonl" -- "$FX/diamond"
jq -s -e '.[0].type == "header" and .[0].syscall_filter == "%memory"' "$T/p-filter.jsonl" >/dev/null || die "-e trace=%memory: no syscall_filter in the header"
valid trace.schema.json "$T/p-filter.jsonl" --lines -- "ptrace trace with -e trace=%memory"
RT0_SPIN_MS=700 "$FX/spin" >/dev/null &
spin=$!
sleep 0.2
run_ok 0 "run -p (attach to spin)" -- "$R" run -p "$spin" -o "$T/p-attach.jsonl"
wait "$spin"
jq -s -e 'any(.[]; .type == "attach")' "$T/p-attach.jsonl" >/dev/null || die "run -p: no attach event"
valid trace.schema.json "$T/p-attach.jsonl" --lines -- "ptrace -p trace (attach event, past probes)"
RT0_SPIN_MS=1500 "$R" run -o "$T/p-int.jsonl" -- "$FX/spin" >/dev/null 2>&1 &
run=$!
sleep 0.4
kill -INT "$run"
wait "$run"
rc=$?
[ "$rc" -eq 130 ] || die "run interrupted by SIGINT: exit $rc, want 130"
jq -s -e '.[-1].type == "footer" and .[-1].complete == false' "$T/p-int.jsonl" >/dev/null || die "interrupted run: the footer does not say incomplete"
valid trace.schema.json "$T/p-int.jsonl" --lines -- "ptrace trace of an interrupted run (footer complete false)"
seen=$(types "$T"/p-*.jsonl)
for t in header exec attach syscall probe clone signal maps exit crash stderr footer; do
  case " $seen" in *" $t "*) ;; *) die "the ptrace traces have no '$t' line (types: $seen)";; esac
done
pass "the ptrace traces cover: $seen"

# --- traces: the eBPF engine, where it can run ----------------------------------------------------------------
"$R" run --engine ebpf -o "$T/e-probe.jsonl" -- /bin/true 2>"$TMP/ebpf.err"
if [ $? -eq 4 ]; then
  echo "skipped: eBPF traces: the eBPF engine cannot run here: $(cat "$TMP/ebpf.err")"
else
  run_ok 0 "run --engine ebpf diamond" -- "$R" run --engine ebpf -o "$T/e-diamond.jsonl" -- "$FX/diamond"
  valid trace.schema.json "$T/e-diamond.jsonl" --lines -- "eBPF trace of diamond"
  run_ok 0 "run --engine ebpf -f sh -c" -- "$R" run --engine ebpf -f -o "$T/e-fork.jsonl" -- /bin/sh -c "$FX/diamond >/dev/null; $FX/cmany forks 2"
  valid trace.schema.json "$T/e-fork.jsonl" --lines -- "eBPF -f trace of fork+exec"
  jq -s -e 'any(.[]; .type == "maps" and .how == "stopped")' "$T/e-diamond.jsonl" >/dev/null || die "eBPF: the maps event does not say how"
  pass "the eBPF traces cover: $(types "$T"/e-d*.jsonl "$T"/e-f*.jsonl)"
  # rt0trace agent: the trace of a `runc run` it followed (its container event), and that container's report
  if ! command -v runc >/dev/null; then
    echo "skipped: the agent's trace: runc is not installed (scripts/setup installs it)"
  else
    "$RT0_SRC/scripts/oci-bundle" "$FX/diamond" "$TMP/bundle" >/dev/null || die "scripts/oci-bundle failed"
    id=rt0-schemas-$$
    "$R" agent -o "$T/agent" >"$TMP/agent.out" 2>"$TMP/agent.err" &
    agent=$!
    for _ in $(seq 100); do grepq following "$TMP/agent.err" && break; kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
    grepq following "$TMP/agent.err" || { kill "$agent" 2>/dev/null; die "the agent did not start: $(cat "$TMP/agent.err")"; }
    runc run --bundle "$TMP/bundle" "$id" >/dev/null 2>"$TMP/runc.err" || { kill "$agent"; die "runc run failed: $(cat "$TMP/runc.err")"; }
    for _ in $(seq 1200); do grepq "^container $id:" "$TMP/agent.out" && break; sleep 0.1; done # 120 s: a busy machine
    kill -TERM "$agent"
    wait "$agent" || die "the agent exited $? after SIGTERM"
    [ -f "$T/agent/$id.trace.jsonl" ] || die "the agent wrote no $id.trace.jsonl: $(cat "$TMP/agent.out" "$TMP/agent.err")"
    jq -s -e --arg id "$id" 'map(select(.type == "container")) | length == 1 and .[0].id == $id and .[0].runtime == "runc"' \
      "$T/agent/$id.trace.jsonl" >/dev/null || die "the agent's trace has not one container event for $id"
    valid trace.schema.json "$T/agent/$id.trace.jsonl" --lines -- "the agent's trace of runc run (container event)"
    valid report.schema.json "$T/agent/$id.report.json" -- "the agent's report of runc run"
    grep -v '"type":"container"' "$T/agent/$id.trace.jsonl" >"$TMP/agent-bad.jsonl"
    grep '"type":"container"' "$T/agent/$id.trace.jsonl" | jq -c 'del(.observed_from_start)' >>"$TMP/agent-bad.jsonl"
    invalid trace.schema.json "$TMP/agent-bad.jsonl" --lines -- "the agent's trace without observed_from_start"
  fi
fi

# --- traces: the preload engine on the cgo fixture -----------------------------------------------------------
"$R" run --engine preload -o "$T/l-cgo.jsonl" -- "$FX/cgo" >/dev/null 2>"$TMP/preload.err"
rc=$?
if [ $rc -eq 4 ]; then
  echo "skipped: preload traces: the preload engine cannot run here: $(cat "$TMP/preload.err")"
else
  [ $rc -eq 0 ] || die "run --engine preload cgo: exit $rc: $(cat "$TMP/preload.err")"
  valid trace.schema.json "$T/l-cgo.jsonl" --lines -- "preload trace of the cgo fixture"
  run_ok 0 "run --engine preload sh -c" -- "$R" run --engine preload -o "$T/l-fork.jsonl" -- /bin/sh -c "$FX/diamond >/dev/null; $FX/cprog >/dev/null; $FX/cmany forks 2"
  valid trace.schema.json "$T/l-fork.jsonl" --lines -- "preload trace of sh running a static Go, a C program and forks"
  seen=$(types "$T"/l-*.jsonl)
  case " $seen" in *" mark "*) ;; *) die "the preload traces have no mark event (types: $seen)";; esac
  jq -s -e 'any(.[]; .type == "probe" and .seen == "within")' "$T/l-cgo.jsonl" >/dev/null || die "preload cgo: no probe seen within"
  pass "the preload traces cover: $seen"
fi

# --- report --format json, for each kind of trace ---------------------------------------------------------------
for t in "$T"/*.jsonl; do
  n=$(basename "$t" .jsonl)
  "$R" report --format json -o "$TMP/$n.report.json" "$t" 2>"$TMP/err"
  rc=$?
  [ $rc -le 1 ] || die "report --format json $n: exit $rc: $(cat "$TMP/err")"
  valid report.schema.json "$TMP/$n.report.json" -- "report --format json of $n (exit $rc)"
done
jq -e '(.processes | length) > 2 and (.critical_path | length) > 0 and ([.processes[].phases | length] | add) > 0' \
  "$TMP/p-fork.report.json" >/dev/null \
  || die "the fork+exec trace's report has no processes, phases of one or critical path (their schema went unchecked)"
jq -e '.crash.kind == "go-fatal" and (.crash.backtrace | length) > 0' "$TMP/p-crash.report.json" >/dev/null \
  || die "the crash report has no crash object with a backtrace"
run_ok 0 "report --program cmany" -- "$R" report --program cmany --format json -o "$TMP/program.report.json" "$T/p-fork.jsonl"
valid report.schema.json "$TMP/program.report.json" -- "report --program of an exec'd program"
# a trace cut mid-line, as a SIGKILLed tracer leaves it
head -c $(( $(stat -c %s "$T/p-diamond.jsonl") - 200 )) "$T/p-diamond.jsonl" > "$TMP/cut.jsonl"
run_ok 1 "report of a cut trace" -- "$R" report --format json -o "$TMP/cut.report.json" "$TMP/cut.jsonl"
jq -e '.partial and .cut.line > 0 and (.cut.footer | not)' "$TMP/cut.report.json" >/dev/null || die "cut trace: no cut object in the report"
valid report.schema.json "$TMP/cut.report.json" -- "report --format json of a trace cut mid-line"
# what each phase touched (decoded syscalls): the golden sh trace's lists, and one without its result
G=$RT0_SRC/tests/golden/traces
run_ok 0 "report of a decoded trace" -- "$R" report --format json -o "$TMP/touched.report.json" "$G/sh-exec-ptrace.jsonl"
jq -e '[.phases[].execs[]] | length > 2' "$TMP/touched.report.json" >/dev/null || die "the sh trace's report lists no execs"
valid report.schema.json "$TMP/touched.report.json" -- "report --format json with files, lookups, sockets and execs per phase"
jq '(.phases[] | select((.files | length) > 0) | .files[0]) |= del(.result)' "$TMP/touched.report.json" > "$TMP/touched.bad.json"
invalid report.schema.json "$TMP/touched.bad.json" -- "a touched file without its result"

# --- bench, check, compare ----------------------------------------------------------------------------------------
run_ok 0 "bench -n 3" -- "$R" bench -n 3 -o "$TMP/baseline.json" -- "$FX/diamond"
valid baseline.schema.json "$TMP/baseline.json" -- "bench -o baseline"
"$R" check --baseline "$TMP/baseline.json" -n 3 --json -- "$FX/diamond" >"$TMP/check.json" 2>"$TMP/err"
rc=$?
[ $rc -le 1 ] || die "check --json: exit $rc: $(cat "$TMP/err")"
valid check.schema.json "$TMP/check.json" -- "check --json (exit $rc)"
run_ok 0 "compare -n 3 --json" -- "$R" compare -n 3 --json "$FX/diamond" "$FX/diamond-stripped"
cp "$TMP/out" "$TMP/compare.json"
valid compare.schema.json "$TMP/compare.json" -- "compare --json of diamond and diamond-stripped"

# --- inspect --json -----------------------------------------------------------------------------------------------
for f in diamond cprog cgo diamond-stripped diamond-arm64 diamond-s390x; do
  [ -e "$FX/$f" ] || continue
  run_ok 0 "inspect --json $f" -- "$R" inspect --json "$FX/$f"
  cp "$TMP/out" "$TMP/inspect-$f.json"
  valid inspect.schema.json "$TMP/inspect-$f.json" -- "inspect --json $f"
done

# --- the manifest of rt0trace build -----------------------------------------------------------------------------
export RT0TRACE_CACHE=$TMP/cache
(cd "$RT0_SRC/tests/fixtures/diamond" && "$R" build -o "$TMP/diamond.built" --manifest "$TMP/manifest.json" .) >"$TMP/build.out" 2>&1
rc=$?
if [ $rc -eq 4 ]; then
  echo "skipped: manifests: rt0trace build cannot run here: $(tail -1 "$TMP/build.out")"
else
  [ $rc -eq 0 ] || die "rt0trace build --manifest diamond: exit $rc: $(tail -3 "$TMP/build.out")"
  valid manifest.schema.json "$TMP/manifest.json" -- "build --manifest of diamond"
  (cd "$RT0_SRC/tests/fixtures/cgo" && CGO_ENABLED=1 "$R" build -ldflags=-s -o "$TMP/cgo.built" --manifest "$TMP/manifest-cgo.json" .) \
    >"$TMP/build.out" 2>&1
  rc=$?
  if [ $rc -eq 4 ]; then
    echo "skipped: cgo manifest: $(tail -1 "$TMP/build.out")"
  else
    [ $rc -eq 0 ] || die "rt0trace build --manifest cgo: exit $rc: $(tail -3 "$TMP/build.out")"
    jq -e '[.packages[] | select(.cgofiles)] | length > 0' "$TMP/manifest-cgo.json" >/dev/null || die "cgo manifest: no package with cgofiles"
    jq -e '.link.ldflags == ["-s"]' "$TMP/manifest-cgo.json" >/dev/null || die "cgo manifest: link.ldflags is not [\"-s\"]"
    valid manifest.schema.json "$TMP/manifest-cgo.json" -- "build --manifest of the cgo fixture (cgo keys, link.ldflags)"
  fi
fi

# --- a dropped or renamed key fails; an added key does not ---------------------------------------------------------
jq 'del(.checks[0].status)' "$TMP/p-diamond.report.json" > "$TMP/neg-report.json"
invalid report.schema.json "$TMP/neg-report.json" -- "the report with checks[0].status deleted"
jq -c 'if .type == "syscall" then .retval = .ret | del(.ret) else . end' "$T/p-diamond.jsonl" > "$TMP/neg-trace.jsonl"
invalid trace.schema.json "$TMP/neg-trace.jsonl" --lines -- "the trace with every syscall's ret renamed retval"
jq -c 'if .type == "header" then del(.binary.entry) else . end' "$T/p-diamond.jsonl" > "$TMP/neg-header.jsonl"
invalid trace.schema.json "$TMP/neg-header.jsonl" --lines -- "the trace with the header's binary.entry deleted"
jq 'del(.metrics[0].samples_ns)' "$TMP/baseline.json" > "$TMP/neg-baseline.json"
invalid baseline.schema.json "$TMP/neg-baseline.json" -- "the baseline with metrics[0].samples_ns deleted"
jq 'del(.metrics[0].verdict)' "$TMP/check.json" > "$TMP/neg-check.json"
invalid check.schema.json "$TMP/neg-check.json" -- "check --json with metrics[0].verdict deleted"
jq 'del(.go.init_order)' "$TMP/inspect-diamond.json" > "$TMP/neg-inspect.json"
invalid inspect.schema.json "$TMP/neg-inspect.json" -- "inspect --json with go.init_order deleted"
if [ -s "$TMP/manifest.json" ]; then
  jq 'del(.placed.entry)' "$TMP/manifest.json" > "$TMP/neg-manifest.json"
  invalid manifest.schema.json "$TMP/neg-manifest.json" -- "the manifest with placed.entry deleted"
fi
jq '. + {"a_new_key": 1} | .phases[0] += {"another": "x"}' "$TMP/p-diamond.report.json" > "$TMP/more-report.json"
valid report.schema.json "$TMP/more-report.json" -- "the report with new keys added"
head -n -1 "$T/p-diamond.jsonl" | jq -c '. + {"a_new_key": true}' > "$TMP/more-trace.jsonl"
printf '{"type":"a-new-event","t":%s,"pid":1}\n' "$(head -1 "$T/p-diamond.jsonl" | jq .t0)" >> "$TMP/more-trace.jsonl"
tail -n 1 "$T/p-diamond.jsonl" | jq -c '. + {"a_new_key": true}' >> "$TMP/more-trace.jsonl"
valid trace.schema.json "$TMP/more-trace.jsonl" --lines -- "the trace with a new key on every line and a new event type"

finish
