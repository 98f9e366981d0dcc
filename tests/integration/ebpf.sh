#!/usr/bin/env bash
# rt0trace run --engine ebpf: the ptrace engine's checks, run for this engine (lib/engine_checks.bash);
# a container's startup traced through `runc run` down to its program's main.main, with a static fixture
# built by the pipeline in an OCI bundle; and the environment failures (no privileges, no BTF): one
# message, exit 4, no trace file left.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/engine_checks.bash"
# eBPF unavailable here (no root, no BTF, a build without it): the engine says why, and we skip with it.
"$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"
[ $? -ne 4 ] || skip "the eBPF engine cannot run here: $(cat "$TMP/probe.err")"

ENGINE=(--engine ebpf)
engine_checks
start_checks

# --- the main.main snapshot says how it was taken -------------------------------------------------------
jq -s -e 'map(select(.type == "maps")) | length == 1 and .[0].at == "main.main" and .[0].how == "stopped"' \
  "$TMP/diamond.jsonl" >/dev/null || die "the main.main maps event does not say it was taken with the process stopped"
jq -s -e '.[0].engine == "ebpf" and .[-1].lost == 0' "$TMP/diamond.jsonl" >/dev/null || die "header engine / footer lost"
pass "the layout snapshot is taken at main.main with the process stopped (\"how\":\"stopped\"); engine ebpf, 0 lost"

# --- an exec into another binary attaches that binary's probes (held at its exec) -----------------------
"$R" run --engine ebpf -f -o "$TMP/sh.jsonl" -- /bin/sh -c "$FX/diamond >/dev/null; exit 7"
[ $? -eq 7 ] || die "sh -c diamond: exit status not passed through"
jq -s -e --arg d "$FX/diamond" '[.[] | select(.type == "exec" and .path == $d)] | length == 1 and .[0].probes > 10 and .[0].binary.path == $d' \
  "$TMP/sh.jsonl" >/dev/null || die "the exec of diamond by sh is not recorded with its probes"
"$R" report --program diamond --format json -o "$TMP/sh.report.json" "$TMP/sh.jsonl" \
  || die "report --program diamond: a check failed: $(jq -c '[.checks[]|select(.ok|not)]' "$TMP/sh.report.json")"
jq -r '.init_order.observed[]' "$TMP/sh.report.json" > "$TMP/sh.observed"
inittrace_order "$FX/diamond" > "$TMP/sh.inittrace"
diff -u "$TMP/sh.inittrace" "$TMP/sh.observed" >&2 || die "diamond exec'd by sh: observed init order differs from inittrace"
pass "a forked exec into another binary is held, probed and reported (report --program): all checks, init order = inittrace"

# --- a container: runc run, followed into the bundle's program -----------------------------------------
if ! command -v runc >/dev/null; then
  echo "skipped: the container check: runc is not installed (scripts/setup installs it)"
else
  # the fixture, built by the pipeline (static: no cgo)
  (cd "$RT0_SRC/tests/fixtures/diamond" && CGO_ENABLED=0 "$R" build -o "$TMP/ctr-diamond" .) >"$TMP/ctr-build.out" 2>&1 \
    || die "rt0trace build of the container fixture failed: $(tail -3 "$TMP/ctr-build.out")"
  "$RT0_SRC/scripts/oci-bundle" "$TMP/ctr-diamond" "$TMP/bundle" >/dev/null || die "oci-bundle failed"
  id=rt0-ebpf-test-$$
  "$TMP/ctr-diamond" > "$TMP/ctr.plain" 2>&1
  want=$?
  "$R" run --engine ebpf -f -o "$TMP/ctr.jsonl" -- runc run --bundle "$TMP/bundle" "$id" > "$TMP/ctr.traced" 2>"$TMP/ctr.err"
  got=$?
  runc delete -f "$id" >/dev/null 2>&1
  [ "$got" -eq "$want" ] || die "runc run traced: exit $got, the program alone exits $want: $(head -c 300 "$TMP/ctr.err")"
  diff -u "$TMP/ctr.plain" "$TMP/ctr.traced" >&2 || die "the container's output differs from the program's own"
  jq -s -e '.[0].binary.path | test("runc")' "$TMP/ctr.jsonl" >/dev/null || die "the trace's root is not runc"
  "$R" report --program prog --format json -o "$TMP/ctr.report.json" "$TMP/ctr.jsonl" \
    || die "report --program prog: a check failed: $(jq -c '[.checks[]|select(.ok|not)]' "$TMP/ctr.report.json")"
  jq -r '.init_order.observed[]' "$TMP/ctr.report.json" > "$TMP/ctr.observed"
  inittrace_order "$TMP/ctr-diamond" > "$TMP/ctr.inittrace"
  diff -u "$TMP/ctr.inittrace" "$TMP/ctr.observed" >&2 || die "container: observed init order differs from inittrace"
  jq -e '.init_order.match and ([.phases[].name] | index("main.main")) != null and ([.phases[].name] | index("runtime.schedinit")) != null
         and .layout_at == "main.main" and .exit.status == 0' "$TMP/ctr.report.json" >/dev/null \
    || die "container report: $(jq -c '{io: .init_order.match, phases: [.phases[].name], layout_at, exit}' "$TMP/ctr.report.json")"
  pass "runc run traced with -f: the container's /prog (pipeline-built) reported with all checks, $(wc -l < "$TMP/ctr.observed") packages in placed = inittrace order, main.main reached"
fi

# --- environment failures: exit 4, one message, nothing left behind -----------------------------------
if command -v setpriv >/dev/null; then
  expect_exit 4 "ebpf without privileges" -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$R" run --engine ebpf -o "$TMP/nopriv.jsonl" -- /bin/true
  grep -q "^rt0trace: eBPF is not permitted here: " "$TMP/err" || die "no-privilege message: $(cat "$TMP/err")"
  [ "$(wc -l < "$TMP/err")" -eq 1 ] || die "no-privilege: more than one line: $(cat "$TMP/err")"
  [ ! -e "$TMP/nopriv.jsonl" ] || die "a trace file was left although nothing was traced"
else
  echo "skipped: the no-privilege check: setpriv (util-linux) is not installed"
fi
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
  # a kernel without BTF, as the engine sees it: /sys/kernel/btf hidden in a private mount namespace
  expect_error 4 "rt0trace: the eBPF engine needs kernel BTF, and this kernel has none ('/sys/kernel/btf/vmlinux': No such file or directory); use --engine ptrace" \
    "ebpf without BTF" -- unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0" run --engine ebpf -o "$1" -- /bin/true' "$R" "$TMP/nobtf.jsonl"
  [ ! -e "$TMP/nobtf.jsonl" ] || die "a trace file was left although nothing was traced"
else
  echo "skipped: the no-BTF check: unshare -m is not permitted here"
fi
finish
