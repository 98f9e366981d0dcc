#!/usr/bin/env bash
# --engine preload on the programs a plain `go build` makes and on stripped binaries (issue 20): a Go
# program importing net and os/user built with cgo enabled (dynamically and internally linked: runtime/cgo
# and PT_INTERP, but its ELF entry is _rt0_amd64_linux and it never calls __libc_start_main), the same
# with -buildmode=pie, a non-cgo PIE (PT_INTERP, no libc at all), a stripped C program and /bin/true.
# Each: output and status as untraced; `report` exits 0 with no failed check; the entry is observed at
# the ELF entry itself; the Go phases the runtime's libc calls reveal are in order and the runtime's mmaps
# fall in runtime.schedinit, not in libc's constructors; what the engine cannot see is "observable":
# false and reported "not observed", never a probe it did not see. The ptrace engine's report of the same
# binaries passes too and saw the same phases in the same order.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
HERE=$(cd "$(dirname "$0")" && pwd)
need_fixture cprog
GO=${GOROOT:-/usr/local/go}/bin/go
[ -x "$GO" ] || skip "no go command at '$GO' to build the Go programs with the reference go build"
command -v readelf >/dev/null || skip "no readelf to tell what the Go linker made"
command -v strip >/dev/null || skip "no strip to make a stripped C program"
command -v cc >/dev/null || command -v gcc >/dev/null || skip "no C compiler: runtime/cgo cannot be built"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOWORK=off GOOS=linux GOARCH=amd64
unset GOAMD64 CC
"$R" run -o "$TMP/ptrace-probe.jsonl" -- /bin/true 2>/dev/null
PTRACE_OK=$([ $? -ne 4 ] && echo 1 || echo 0)

gobuild() { # OUT CGO_ENABLED [go build args...]
  local out=$1 cgo=$2
  shift 2
  (cd "$RT0_SRC/tests/fixtures/many" && CGO_ENABLED=$cgo "$GO" build -trimpath -o "$TMP/$out" "$@" .) > "$TMP/$out.build" 2>&1 \
    || die "go build of $out failed: $(tail -3 "$TMP/$out.build")"
}
gobuild gonet 1
gobuild gonet-pie 1 -buildmode=pie
gobuild gonet-nocgo-pie 0 -buildmode=pie
strip -o "$TMP/cprog-stripped" "$FX/cprog" || die "cannot strip cprog"

# what each one is (so the test cannot pass on something else than it claims to run)
has() { # FILE READELF-OPTIONS PATTERN: whether readelf's output matches
  readelf $2 "$1" > "$TMP/readelf.out" 2>&1
  grep -qE "$3" "$TMP/readelf.out"
}
for f in gonet gonet-pie gonet-nocgo-pie; do
  has "$TMP/$f" -lW 'Requesting program interpreter' || die "$f: no PT_INTERP"
  has "$TMP/$f" '-sW --dyn-syms' '__libc_start_main' && die "$f: calls __libc_start_main (externally linked?)"
  has "$TMP/$f" -sW ' _start$' && die "$f: has libc's _start (externally linked?)"
done
for f in gonet gonet-pie; do
  has "$TMP/$f" -dW 'NEEDED.*libc\.so' || die "$f: does not need libc (cgo was not enabled?)"
  has "$TMP/$f" -sW ' x_cgo_init$' || die "$f: no runtime/cgo"
done
has "$TMP/gonet-nocgo-pie" -dW NEEDED && die "gonet-nocgo-pie: needs a library"
has "$TMP/gonet-pie" -hW 'Type: +DYN' && has "$TMP/gonet-nocgo-pie" -hW 'Type: +DYN' || die "the -buildmode=pie programs are not ET_DYN"
has "$TMP/cprog-stripped" -sW ' _start$' && die "cprog-stripped still names _start"
pass "built: gonet (cgo, internally linked, PT_INTERP + libc.so.6, no __libc_start_main), gonet-pie (the same, PIE), gonet-nocgo-pie (PT_INTERP, no library), cprog-stripped"

traced() { # NAME PROGRAM ARGS...: traced by --engine preload, output and status as untraced, report passes
  local name=$1
  shift
  "$@" > "$TMP/$name.plain" 2>&1
  local want=$?
  timeout 300 "$R" run --engine preload -o "$TMP/$name.jsonl" -- "$@" > "$TMP/$name.traced" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || die "$name: traced exit $got (124: hung), untraced $want: $(head -c 300 "$TMP/$name.traced")"
  # (the thread ids a program prints are its own each run)
  diff -u <(grep -v '^tasks: ' "$TMP/$name.plain") <(grep -v '^tasks: ' "$TMP/$name.traced") >&2 \
    || die "$name: traced output differs from untraced"
  "$R" report "$TMP/$name.jsonl" > "$TMP/$name.report.txt"
  got=$?
  [ "$got" -eq 0 ] || die "$name: report exit $got: $(grep '✗' "$TMP/$name.report.txt")"
  grep -q '✗' "$TMP/$name.report.txt" && die "$name: report has a failed check: $(grep '✗' "$TMP/$name.report.txt")"
  "$R" report --format json -o "$TMP/$name.report.json" "$TMP/$name.jsonl" || die "$name: report --format json exit $?"
  jq -e '(.checks | map(select(.status == "fail")) | length) == 0
         and (.checks[] | select(.name == "entry") | .status == "pass")
         and (.checks[] | select(.name == "phases in order") | .status == "pass")
         and .lost == 0 and .complete' "$TMP/$name.report.json" >/dev/null \
    || die "$name: report: $(jq -c '.checks' "$TMP/$name.report.json")"
}
# the probes in the trace, in time order, as "role symbol seen"
probes() { jq -r 'select(.type == "probe") | "\(.role) \(.symbol)\(if .seen then " " + .seen else "" end)"' "$1"; }
unobservable() { jq -r '.[0].binary.probes | map(select(.observable == false and .role != "init" and .role != "fatal") | .symbol) | join(" ")' -s "$1"; }
ptrace_compare() { # NAME PROGRAM ARGS...: the ptrace engine's report passes and it saw the preload engine's phases in the same order
  local name=$1
  shift
  [ "$PTRACE_OK" = 1 ] || { echo "skipped: the comparison with the ptrace engine for $name: ptrace is not permitted here"; return; }
  timeout 300 "$R" run -o "$TMP/$name.ptrace.jsonl" -- "$@" > /dev/null 2>&1
  local rc=$?
  [ "$rc" -ne 124 ] || die "$name: the ptrace engine hung"
  "$R" report "$TMP/$name.ptrace.jsonl" > "$TMP/$name.ptrace.report.txt" \
    || die "$name: the ptrace engine's report fails: $(grep '✗' "$TMP/$name.ptrace.report.txt")"
  jq -r 'select(.type == "probe" and .role != "init") | .symbol' "$TMP/$name.jsonl" > "$TMP/$name.phases.preload"
  jq -r 'select(.type == "probe") | .symbol' "$TMP/$name.ptrace.jsonl" | grep -Fxf "$TMP/$name.phases.preload" | awk '!seen[$0]++' > "$TMP/$name.phases.ptrace"
  diff -u "$TMP/$name.phases.ptrace" "$TMP/$name.phases.preload" >&2 || die "$name: the phases are not in the ptrace engine's order"
  pass "$name: the ptrace engine's report passes too, and it saw $(tr '\n' ' ' < "$TMP/$name.phases.preload")in the same order"
}

# --- cgo, internally linked (plain `go build`), and the same as a PIE ---------------------------------------
for f in gonet gonet-pie; do
  traced "$f" "$TMP/$f"
  got=$(probes "$TMP/$f.jsonl" | tr '\n' '|')
  want="entry _rt0_amd64_linux|phase runtime.rt0_go.abi0 within|phase runtime.schedinit within|phase runtime.main within|"
  [ "$got" = "$want" ] || die "$f: probes '$got', want '$want'"
  [ "$(unobservable "$TMP/$f.jsonl")" = "runtime.gcenable main.main" ] || die "$f: unobservable phases: $(unobservable "$TMP/$f.jsonl")"
  jq -e '(.phases | map(.name) | join(" > ")) == "exec > constructors libc.so.6 > _rt0_amd64_linux > runtime.rt0_go > runtime.schedinit > runtime.main"
         and (.phases[] | select(.name == "constructors libc.so.6") | .syscalls == 0)
         and (.phases[] | select(.name == "runtime.schedinit") | .syscalls >= 5)
         and (.checks[] | select(.name == "init order") | .status == "not observed")
         and (.checks[] | select(.name == "go heap arena") | .status == "pass")
         and .layout_at == "x_cgo_notify_runtime_init_done"' "$TMP/$f.report.json" >/dev/null \
    || die "$f: report: $(jq -c '{phases: [.phases[] | {name, syscalls}], checks, layout_at}' "$TMP/$f.report.json")"
  jq -s -e '[.[] | select(.type == "mark" and (.what == "go-initsig" or .what == "go-runtime-init-done"))] | length == 2' "$TMP/$f.jsonl" >/dev/null \
    || die "$f: the runtime's initsig and init-done marks are missing"
  pass "$f: report exits 0 with no ✗; entry at _rt0_amd64_linux itself; rt0_go (x_cgo_init), schedinit (x_cgo_mmap), runtime.main (sysmon's pthread_create) seen within, in order; the runtime's mmaps in runtime.schedinit, none in libc's constructors; gcenable and main.main not observed"
  ptrace_compare "$f" "$TMP/$f"
done

# --- many threads through cgo: every thread the runtime made is a clone with its tid ----------------------
RT0_MANY_THREADS=32 GOMAXPROCS=32 traced gonet-many "$TMP/gonet"
grep -q '^many: 32 threads, GOMAXPROCS 32$' "$TMP/gonet-many.traced" || die "gonet-many: $(cat "$TMP/gonet-many.traced")"
root=$(jq -s '[.[] | select(.type == "exec")][0].pid' "$TMP/gonet-many.jsonl")
sed -n 's/^tasks: //p' "$TMP/gonet-many.traced" | tr ' ' '\n' | grep -vx "$root" | sort -n > "$TMP/gonet-many.tasks"
jq -r 'select(.type == "clone" and .kind == "thread") | .child' "$TMP/gonet-many.jsonl" | sort -n > "$TMP/gonet-many.clones"
[ "$(wc -l < "$TMP/gonet-many.tasks")" -ge 32 ] || die "gonet-many: only $(wc -l < "$TMP/gonet-many.tasks") threads besides main"
missing=$(comm -23 "$TMP/gonet-many.tasks" "$TMP/gonet-many.clones" | tr '\n' ' ')
[ -z "$missing" ] || die "gonet-many: threads with no clone event: $missing"
pass "gonet with GOMAXPROCS=32 and 32 goroutines locked to threads: no hang, each of its $(wc -l < "$TMP/gonet-many.tasks") threads besides main is a clone with its tid; report exits 0"

# --- non-cgo PIE: the loader runs it, libc is never called: the entry only ---------------------------------
traced gonet-nocgo-pie "$TMP/gonet-nocgo-pie"
got=$(probes "$TMP/gonet-nocgo-pie.jsonl" | tr '\n' '|')
[ "$got" = "entry _rt0_amd64_linux|" ] || die "gonet-nocgo-pie: probes '$got', want only the entry"
[ "$(unobservable "$TMP/gonet-nocgo-pie.jsonl")" = "runtime.rt0_go.abi0 runtime.schedinit runtime.main runtime.gcenable main.main" ] \
  || die "gonet-nocgo-pie: unobservable phases: $(unobservable "$TMP/gonet-nocgo-pie.jsonl")"
jq -e '(.checks[] | select(.name == "phases in order") | .detail | test("not observed by the preload engine: runtime.rt0_go, runtime.schedinit, runtime.main, runtime.gcenable, main.main"))
       and (.checks[] | select(.name == "init order") | .status == "not observed")' "$TMP/gonet-nocgo-pie.report.json" >/dev/null \
  || die "gonet-nocgo-pie: report: $(jq -c '.checks' "$TMP/gonet-nocgo-pie.report.json")"
pass "gonet-nocgo-pie: report exits 0 with no ✗; the entry observed, every Go phase 'not observed by the preload engine' (no libc call reveals them), no probe it did not see"
ptrace_compare gonet-nocgo-pie "$TMP/gonet-nocgo-pie"

# --- stripped: the entry by address ---------------------------------------------------------------------
traced cprog-stripped "$TMP/cprog-stripped" 5
jq -e '(.checks[] | select(.name == "entry") | .detail | test("the ELF entry 0x[0-9a-f]+ is unnamed"))
       and (.checks | all(.status == "pass"))' "$TMP/cprog-stripped.report.json" >/dev/null \
  || die "cprog-stripped: report: $(jq -c '.checks' "$TMP/cprog-stripped.report.json")"
[ "$(probes "$TMP/cprog-stripped.jsonl" | head -n 1)" = "entry entry" ] || die "cprog-stripped: the first probe is not the entry: $(probes "$TMP/cprog-stripped.jsonl" | head -n 3)"
pass "cprog-stripped: report exits 0, every check passes; the unnamed entry observed at its address"
ptrace_compare cprog-stripped "$TMP/cprog-stripped" 5
if has /bin/true -sW "Symbol table '\\.symtab'"; then
  echo "skipped: /bin/true: it is not stripped here"
else
  traced true /bin/true
  pass "/bin/true (stripped): report exits 0 with no ✗; the unnamed entry observed at its address"
  ptrace_compare true /bin/true
fi

# --- the entry cannot be patched (memory-deny-write-execute): the fallback, and honesty ------------------
CC=$(command -v cc || command -v gcc)
"$CC" -O1 -Wall -Werror -o "$TMP/mdwe" "$HERE/preload/mdwe.c" || die "cannot build mdwe.c"
"$TMP/mdwe" /bin/true 2>"$TMP/mdwe.err"
if [ $? -eq 77 ]; then
  echo "skipped: the entry that cannot be patched: $(cat "$TMP/mdwe.err")"
else
  # a C program: __libc_start_main's call from the entry code stands for the entry; report passes
  timeout 300 "$R" run --engine preload -o "$TMP/mdwe-c.jsonl" -- "$TMP/mdwe" "$FX/cprog" 5 > /dev/null 2>&1
  [ $? -eq 5 ] || die "mdwe cprog: the program's status was not passed through"
  "$R" report --program cprog --format json -o "$TMP/mdwe-c.report.json" "$TMP/mdwe-c.jsonl" \
    || die "mdwe cprog: report exit $?: $(jq -c '[.checks[] | select(.status == "fail")]' "$TMP/mdwe-c.report.json")"
  jq -e '.checks | all(.status == "pass")' "$TMP/mdwe-c.report.json" >/dev/null || die "mdwe cprog: $(jq -c '.checks' "$TMP/mdwe-c.report.json")"
  pass "memory-deny-write-execute, a C program: the entry left alone, __libc_start_main's call from it is the entry; every check passes"
  # an internally linked Go program: no call stands for its entry: not observable, and no entry probe;
  # the runtime's libc calls still show its phases
  timeout 300 "$R" run --engine preload -o "$TMP/mdwe-go.jsonl" -- "$TMP/mdwe" "$TMP/gonet" > /dev/null 2>&1 || die "mdwe gonet: exit $?"
  jq -s -e '(map(select(.type == "exec" and (.path | endswith("/gonet"))))[0]) as $x
            | ($x.binary.probes[] | select(.role == "entry") | .observable == false)
            and ([.[] | select(.type == "probe" and .pid == $x.pid and .t >= $x.t) | .symbol]
                 == ["runtime.rt0_go.abi0", "runtime.schedinit", "runtime.main"])' "$TMP/mdwe-go.jsonl" >/dev/null \
    || die "mdwe gonet: $(jq -c 'select(.type == "probe" or (.type == "exec" and .binary)) | if .binary then [.binary.probes[] | select(.role == "entry")] else [.symbol] end' "$TMP/mdwe-go.jsonl")"
  pass "memory-deny-write-execute, gonet: its entry \"observable\": false with no entry probe; rt0_go, schedinit, runtime.main still seen within"
fi
finish
