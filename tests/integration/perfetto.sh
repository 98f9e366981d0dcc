#!/usr/bin/env bash
# rt0trace report --format perfetto: Chrome Trace Event Format JSON that ui.perfetto.dev and
# chrome://tracing open. A validator (python3, standard library only) checks the format's rules — event
# fields and types, ts/dur never negative, B/E balanced and X slices properly nested per thread, a
# thread_name for every thread and a process_name for every process — and the content: the phases
# track holds the report's phases in order, one syscall slice per syscall event, one instant per maps
# snapshot and per probe hit. The validator is shown to fail on broken files; the renderer is shown to
# clip overlapping syscalls and to mark lost events and a partial trace. On the recorded sh-fork and
# podman-run traces (several processes): a track per process, its process_name "<comm> (<pid>)", its own
# phases on it (those of the JSON report's processes[].phases), the critical path on a track of its own.
. "$(dirname "$0")/lib/common.bash"
need_fixture goinit
need_fixture cprog
R=$RT0TRACE
FX=$RT0_FIXTURES
command -v python3 >/dev/null || skip "python3 is not installed"
need_ptrace

# validate.py PERFETTO.json TRACE.jsonl REPORT.json [PROGRAM] [--partial] [--lost N]
cat > "$TMP/validate.py" <<'EOF'
import json, sys
from decimal import Decimal

def fail(msg):
    print("invalid: " + msg)
    sys.exit(1)

def number(v):
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)

argv = sys.argv[1:]
partial = "--partial" in argv
lost = None
if "--lost" in argv:
    lost = int(argv[argv.index("--lost") + 1])
    del argv[argv.index("--lost"):argv.index("--lost") + 2]
argv = [a for a in argv if a != "--partial"]
out, trace, report = argv[0], argv[1], argv[2]
program = argv[3] if len(argv) > 3 else None

try:
    with open(out) as f:
        doc = json.load(f, parse_float=Decimal)   # exact decimals: no rounding in the nesting check
except ValueError as e:
    fail("not JSON: %s" % e)
if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
    fail("the top level is not an object with a traceEvents array")
if doc.get("displayTimeUnit") not in (None, "ms", "ns"):
    fail("displayTimeUnit %r" % doc.get("displayTimeUnit"))
evs = doc["traceEvents"]

threads, procs, used_threads, used_pids = {}, {}, set(), set()
for i, e in enumerate(evs):
    if not isinstance(e, dict):
        fail("event %d is not an object" % i)
    if not isinstance(e.get("name"), str):
        fail("event %d has no string name: %r" % (i, e))
    if e.get("ph") not in ("X", "B", "E", "i", "I", "M", "C"):
        fail("event %d: ph %r" % (i, e.get("ph")))
    for k in ("pid", "tid"):
        if not isinstance(e.get(k), int) or isinstance(e.get(k), bool):
            fail("event %d: %s is not an integer: %r" % (i, k, e))
    if e["ph"] == "M":
        name = (e.get("args") or {}).get("name")
        if e["name"] == "thread_name":
            if not isinstance(name, str):
                fail("event %d: thread_name without args.name" % i)
            threads[(e["pid"], e["tid"])] = name
        elif e["name"] == "process_name":
            if not isinstance(name, str):
                fail("event %d: process_name without args.name" % i)
            procs[e["pid"]] = name
        continue
    if not number(e.get("ts")) or e["ts"] < 0:
        fail("event %d: ts %r (a number >= 0 is required): %r" % (i, e.get("ts"), e))
    if e["ph"] == "X" and (not number(e.get("dur")) or e["dur"] < 0):
        fail("event %d: X without a dur >= 0: %r" % (i, e))
    if e["ph"] in ("i", "I") and e.get("s", "t") not in ("t", "p", "g"):
        fail("event %d: instant scope %r" % (i, e.get("s")))
    used_threads.add((e["pid"], e["tid"]))
    used_pids.add(e["pid"])

tracks = {}
for e in evs:
    if e["ph"] != "M":
        tracks.setdefault((e["pid"], e["tid"]), []).append(e)
for key, tev in tracks.items():
    tev.sort(key=lambda e: e["ts"])               # stable: file order among equal ts
    depth = 0
    for e in tev:
        depth += {"B": 1, "E": -1}.get(e["ph"], 0)
        if depth < 0:
            fail("track %s: E without B at ts %s" % (key, e["ts"]))
    if depth:
        fail("track %s: %d B without E" % (key, depth))
    open_ends = []
    for e in sorted((e for e in tev if e["ph"] == "X"), key=lambda e: (e["ts"], -e["dur"])):
        while open_ends and open_ends[-1] <= e["ts"]:
            open_ends.pop()
        end = e["ts"] + e["dur"]
        if open_ends and end > open_ends[-1]:
            fail("track %s: slice %r [%s, %s] overlaps its enclosing slice ending at %s"
                 % (key, e["name"], e["ts"], end, open_ends[-1]))
        open_ends.append(end)

for key in sorted(used_threads):
    if key not in threads:
        fail("pid %d tid %d has events but no thread_name" % key)
for pid in sorted(used_pids | {p for p, _ in threads}):
    if pid not in procs:
        fail("pid %d has no process_name" % pid)

trace_evs = [json.loads(l) for l in open(trace) if l.strip()]
rep = json.load(open(report))
phase_tracks = [k for k, n in threads.items() if n == "startup phases"]
if len(phase_tracks) != 1:
    fail("%d 'startup phases' tracks, want 1" % len(phase_tracks))
got = [e["name"] for e in tracks.get(phase_tracks[0], []) if e["ph"] == "X"]
want = [p["name"] for p in rep["phases"]]
if got != want:
    fail("phases track %r, the report's phases %r" % (got, want))
root = phase_tracks[0][0]
if program and program not in procs.get(root, ""):
    fail("root process name %r does not name %r" % (procs.get(root), program))
if threads.get((root, root)) != "main":
    fail("root thread name %r, want 'main'" % threads.get((root, root)))

def count(t):
    return sum(1 for e in trace_evs if e.get("type") == t)
nsys = sum(1 for e in evs if e["ph"] == "X" and e.get("cat") == "syscall")
if nsys != count("syscall"):
    fail("%d syscall slices for %d syscall events" % (nsys, count("syscall")))
# the other processes' "phases" tracks and the "critical path" track hold the process tree's slices
tree_tracks = {k for k, n in threads.items() if n in ("phases", "critical path")}
if sum(1 for e in evs if e["ph"] == "X" and (e["pid"], e["tid"]) != phase_tracks[0]
       and (e["pid"], e["tid"]) not in tree_tracks) != nsys:
    fail("X slices off the phases tracks that are not syscalls")
nmaps = sum(1 for e in evs if e["ph"] in ("i", "I") and e["name"].startswith("maps snapshot"))
if nmaps < 1 or nmaps != count("maps"):
    fail("%d maps snapshot instants for %d maps events" % (nmaps, count("maps")))
nprobe = sum(1 for e in evs if e["ph"] in ("i", "I") and e.get("cat") == "probe")
if nprobe != count("probe"):
    fail("%d probe instants for %d probe events" % (nprobe, count("probe")))
glob = [e["name"] for e in evs if e["ph"] in ("i", "I") and e.get("s") == "g"]
if partial != any(n.startswith("partial trace") for n in glob):
    fail("partial-trace marker %s, the trace is %s" % (glob, "partial" if partial else "complete"))
if (lost is not None) != any(n.endswith("events lost") for n in glob) or \
        (lost is not None and "%d events lost" % lost not in glob):
    fail("lost-events marker %s, want %s lost" % (glob, lost))
print("valid: %d events, %d threads, %d phases, %d syscall slices, %d maps snapshots"
      % (len(evs), len(threads), len(want), nsys, nmaps))
EOF
V=(python3 "$TMP/validate.py")

# render NAME: TRACE $TMP/NAME.jsonl -> $TMP/NAME.json (perfetto) and $TMP/NAME.report.json
render() {
  "$R" report --format perfetto -o "$TMP/$1.json" "$TMP/$1.jsonl"
  local rc=$?
  [ "$rc" -le 1 ] || die "$1: report --format perfetto exit $rc"
  "$R" report --format json -o "$TMP/$1.report.json" "$TMP/$1.jsonl"
  [ $? -le 1 ] || die "$1: report --format json failed"
}

# --- the Go fixture (several threads) and the C fixture ---------------------------------------------------
"$R" run -o "$TMP/goinit.jsonl" -- "$FX/goinit" >/dev/null 2>&1 || die "goinit: run exit $?"
render goinit
"${V[@]}" "$TMP/goinit.json" "$TMP/goinit.jsonl" "$TMP/goinit.report.json" goinit > "$TMP/v.out" \
  || die "goinit: $(cat "$TMP/v.out")"
nthreads=$(python3 -c 'import json,sys; print(len({e["tid"] for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X" and e.get("cat") == "syscall"}))' "$TMP/goinit.json")
[ "$nthreads" -ge 2 ] || die "goinit: syscall slices on only $nthreads thread(s)"
pass "goinit: $(cat "$TMP/v.out"); syscalls on $nthreads threads"

"$R" run -o "$TMP/cprog.jsonl" -- "$FX/cprog" 5 >/dev/null 2>&1
[ $? -eq 5 ] || die "cprog: traced exit status is not the program's 5"
render cprog
"${V[@]}" "$TMP/cprog.json" "$TMP/cprog.jsonl" "$TMP/cprog.report.json" cprog > "$TMP/v.out" \
  || die "cprog: $(cat "$TMP/v.out")"
pass "cprog: $(cat "$TMP/v.out")"

# --- the validator fails on broken files -------------------------------------------------------------------
# broken NAME WANT CODE: CODE (python, on d = goinit.json, ev = its traceEvents) breaks a copy, written as
# $TMP/NAME.json; the validator must reject it with a message containing WANT.
broken() {
  local name=$1 want=$2 code=$3
  python3 - "$TMP/goinit.json" "$TMP/$name.json" <<EOF
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
$code
json.dump(d, open(sys.argv[2], "w"))
EOF
  [ $? -eq 0 ] || die "broken $name: the mutation script failed"
  "${V[@]}" "$TMP/$name.json" "$TMP/goinit.jsonl" "$TMP/goinit.report.json" > "$TMP/v.out"
  [ $? -eq 1 ] || die "the validator accepted a broken file ($name): $(cat "$TMP/v.out")"
  grep -q -- "$want" "$TMP/v.out" || die "broken $name: the validator said '$(cat "$TMP/v.out")', want '$want'"
  pass "the validator rejects $name: $(cat "$TMP/v.out" | cut -c1-140)"
}
broken no-dur 'X without a dur' '
del next(e for e in ev if e["ph"] == "X" and e.get("cat") == "syscall")["dur"]'
broken overlap 'overlaps its enclosing slice' '
sys_ = [e for e in ev if e["ph"] == "X" and e.get("cat") == "syscall"]
a, b = next((a, b) for a, b in ((x, y) for x in sys_ for y in sys_)
            if a["tid"] == b["tid"] and b["ts"] > a["ts"] + a["dur"] and b["dur"] > 0.002)
a["dur"] = b["ts"] - a["ts"] + b["dur"] / 2   # ends inside b: a partial overlap'
broken no-thread-name 'no thread_name' '
d["traceEvents"] = [e for e in ev if not (e["ph"] == "M" and e["name"] == "thread_name" and e["tid"] != e["pid"] and e["tid"] < 10**9)]'
broken negative-ts 'ts ' '
next(e for e in ev if e["ph"] == "i")["ts"] = -1'
broken lost-syscall 'syscall slices for' '
ev.remove(next(e for e in ev if e["ph"] == "X" and e.get("cat") == "syscall"))'
broken phase-order 'phases track' '
ph = [e for e in ev if e["ph"] == "X" and e.get("cat") in ("phase", "init")]
ph[1]["name"], ph[2]["name"] = ph[2]["name"], ph[1]["name"]'

# --- the renderer clips a syscall that overlaps the next one on its thread --------------------------------
python3 - "$TMP/goinit.jsonl" "$TMP/overlap.jsonl" <<'EOF' || die "overlap: could not build the trace"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sys_ = [e for e in lines if e.get("type") == "syscall"]
for a in sys_:
    later = [b for b in sys_ if b["tid"] == a["tid"] and b["t"] > a["t"] + a["dur"] and b["dur"] > 1]
    if later:
        b = min(later, key=lambda b: b["t"])
        a["dur"] = b["t"] - a["t"] + b["dur"] // 2
        break
else:
    sys.exit(1)
with open(sys.argv[2], "w") as f:
    for e in lines:
        f.write(json.dumps(e) + "\n")
EOF
render overlap
"${V[@]}" "$TMP/overlap.json" "$TMP/overlap.jsonl" "$TMP/overlap.report.json" > "$TMP/v.out" \
  || die "overlapping syscalls: $(cat "$TMP/v.out")"
clipped=$(python3 - "$TMP/overlap.jsonl" "$TMP/overlap.json" <<'EOF'
import json, sys
from decimal import Decimal
lines = [json.loads(l) for l in open(sys.argv[1])]
t0 = lines[0]["t0"]
dur = {(e["tid"], e["t"] - t0): e["dur"] for e in lines if e.get("type") == "syscall"}
out = json.load(open(sys.argv[2]), parse_float=Decimal)["traceEvents"]
print(sum(1 for e in out if e.get("cat") == "syscall" and e["ph"] == "X"
          and int(e["dur"] * 1000) < dur[(e["tid"], int(e["ts"] * 1000))]))
EOF
)
[ "$clipped" = 1 ] || die "overlapping syscalls: $clipped slices clipped, want 1"
pass "overlapping syscalls on one thread: the later one is clipped to the earlier's end; $(cat "$TMP/v.out")"

# --- a trace of several processes: a track (pid) per process named by its comm, each one's phases on it,
# the critical path on a track of its own ----------------------------------------------------------------
# tracks.py PERFETTO.json REPORT.json: the process tree's tracks hold what the JSON report's processes and
# critical_path say
cat > "$TMP/tracks.py" <<'EOF'
import json, sys
from decimal import Decimal

def fail(msg):
    print("invalid: " + msg)
    sys.exit(1)

evs = json.load(open(sys.argv[1]), parse_float=Decimal)["traceEvents"]
rep = json.load(open(sys.argv[2]))
meta = {(e["name"], e["pid"], e["tid"]): e["args"].get("name") for e in evs if e["ph"] == "M"}
us = lambda ns: Decimal(ns) / 1000
procs = rep["processes"]
if len({p["pid"] for p in procs}) != len(procs) or len(procs) < 2:
    fail("the report has not several distinct processes: %r" % [p["pid"] for p in procs])
real = {e["pid"] for e in evs if e["ph"] != "M" and e["pid"] < 10**9}
if real != {p["pid"] for p in procs}:
    fail("tracks %r, the report's processes %r" % (sorted(real), sorted(p["pid"] for p in procs)))
root = next(p for (n, p, t), v in meta.items() if n == "thread_name" and v == "startup phases")
nphased = 0
for p in procs:
    want = "%s (%d)" % (p["comm"] or "process", p["pid"])
    if meta.get(("process_name", p["pid"], p["pid"])) != want:
        fail("pid %d: process_name %r, want %r" % (p["pid"], meta.get(("process_name", p["pid"], p["pid"])), want))
    got = [(e["name"], e["ts"], e["dur"]) for e in evs
           if e["ph"] == "X" and e["pid"] == p["pid"] and e["tid"] == 10**9]
    want = [(ph["name"], us(ph["start_ns"]), us(ph["dur_ns"])) for ph in p["phases"]]
    if p["pid"] == root:
        # the report's own rows first; then this process's later execs' phases
        end = us(rep["phases"][-1]["start_ns"] + rep["phases"][-1]["dur_ns"])
        want = [w for w in want if w[1] >= end]
        got = got[len(rep["phases"]):]
    elif want and meta.get(("thread_name", p["pid"], 10**9)) != "phases":
        fail("pid %d: no 'phases' track" % p["pid"])
    if got != want:
        fail("pid %d: phases track %r, its phases %r" % (p["pid"], got, want))
    nphased += bool(p["phases"])
path = [e for e in evs if e["ph"] == "X" and e["pid"] == 1000000001]
if meta.get(("process_name", 1000000001, 1000000001)) != "critical path" or not path or \
        [(e["name"], e["ts"], e["dur"], e["args"]["pid"]) for e in path] != \
        [(s["step"], us(s["start_ns"]), us(s["dur_ns"]), s["pid"]) for s in rep["critical_path"]]:
    fail("critical path track %r, the report's %r" % ([(e["name"], e["ts"]) for e in path], rep["critical_path"]))
print("%d process tracks (%d with phases), %d critical path steps" % (len(procs), nphased, len(path)))
EOF
for t in "$RT0_SRC/tests/golden/traces/sh-fork.jsonl" "$RT0_SRC/tests/integration/traces/podman-run.jsonl"; do
  n=$(basename "$t" .jsonl)
  cp "$t" "$TMP/$n.jsonl"
  render "$n"
  python3 "$TMP/tracks.py" "$TMP/$n.json" "$TMP/$n.report.json" > "$TMP/v.out" || die "$n: $(cat "$TMP/v.out")"
  pass "$n: $(cat "$TMP/v.out")"
done
"${V[@]}" "$TMP/sh-fork.json" "$TMP/sh-fork.jsonl" "$TMP/sh-fork.report.json" > "$TMP/v.out" ||
  die "sh-fork: $(cat "$TMP/v.out")"
pass "sh-fork: $(cat "$TMP/v.out")"
# ... and the checker fails on a track the renderer left out
python3 - "$TMP/sh-fork.json" "$TMP/nophases.json" <<'EOF' || die "nophases: could not build the file"
import json, sys
d = json.load(open(sys.argv[1]))
d["traceEvents"] = [e for e in d["traceEvents"] if not (e["pid"] == 23516 and e["tid"] == 10**9 and e["ph"] == "X")]
json.dump(d, open(sys.argv[2], "w"))
EOF
python3 "$TMP/tracks.py" "$TMP/nophases.json" "$TMP/sh-fork.report.json" > "$TMP/v.out" &&
  die "the track checker accepted a file without diamond's phases"
grepq "pid 23516: phases track" "$TMP/v.out" || die "nophases: $(cat "$TMP/v.out")"
pass "the track checker rejects a file without diamond's phases"

# --- lost events and a partial trace are marked ------------------------------------------------------------
sed '$ s/"lost":0/"lost":3/' "$TMP/goinit.jsonl" > "$TMP/lost.jsonl"
render lost
"${V[@]}" "$TMP/lost.json" "$TMP/lost.jsonl" "$TMP/lost.report.json" --lost 3 > "$TMP/v.out" \
  || die "lost events: $(cat "$TMP/v.out")"
pass "3 lost events: a global instant '3 events lost'"
sed '$d' "$TMP/goinit.jsonl" > "$TMP/partial.jsonl"
render partial
"${V[@]}" "$TMP/partial.json" "$TMP/partial.jsonl" "$TMP/partial.report.json" --partial > "$TMP/v.out" \
  || die "partial trace: $(cat "$TMP/v.out")"
pass "partial trace (no footer): a global 'partial trace' instant; $(cat "$TMP/v.out")"
finish
