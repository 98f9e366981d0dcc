#!/usr/bin/env bash
# A stripped Go binary (go build -ldflags='-s -w': no .symtab, the usual release build): its functions
# are named from the Go pclntab, which the runtime keeps. So the ptrace (and eBPF) engine probes the
# entry, the runtime's phases, main.main and every package's init functions (named PKG.init and
# PKG.init.N; the inittasks table is found only through a symbol, so the placed order is unknown):
# the report's phases are all there and in order, the observed init order equals the program's own
# GODEBUG=inittrace=1, there is no init-order check to fail (the report says the placed order is
# unknown), and inspect names the entry.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
need_fixture diamond-stripped
need_fixture diamond
need_ptrace
S=$FX/diamond-stripped
readelf -SW "$S" | grepq '\.symtab' && die "the fixture diamond-stripped has a .symtab"

expect_exit 0 "inspect diamond-stripped" -- "$R" inspect "$S"
grepq -E '^  entry +0x[0-9a-f]+ _rt0_amd64_linux$' "$TMP/out" || die "inspect: the entry is not named: $(grep entry "$TMP/out")"
grepq -E '^  symbols +[0-9]+ \(functions from the Go pclntab: stripped\)$' "$TMP/out" || die "inspect: symbols line: $(grep symbols "$TMP/out")"
pass "inspect: the stripped binary's entry named _rt0_amd64_linux, its functions from the Go pclntab"

engine_run() { # LABEL RUN-OPTIONS...: the stripped program traced, its report checked
  local label=$1
  shift
  (cd "$TMP" && "$R" run "$@" -o "$TMP/$label.jsonl" -- "$S" >"$TMP/$label.out" 2>"$TMP/$label.err") || die "$label: run exit $?: $(cat "$TMP/$label.err")"
  "$R" report --format json -o "$TMP/$label.report.json" "$TMP/$label.jsonl" || die "$label: report exit $?"
  "$R" report "$TMP/$label.jsonl" > "$TMP/$label.report.txt" || die "$label: report (text) exit $?"
  jq -e '[.checks[] | select(.name == "phases in order")][0].status == "pass"
         and ([.checks[] | select(.name == "init order")] | length) == 0
         and (.checks | all(.status == "pass"))' "$TMP/$label.report.json" >/dev/null \
    || die "$label: checks: $(jq -c '.checks' "$TMP/$label.report.json")"
  jq -e '[.[0].binary.probes[] | select(.role == "init")] | length > 0 and all(.placed == false)' -s "$TMP/$label.jsonl" >/dev/null \
    || die "$label: the init probes are not marked placed: false"
  jq -r '.init_order.observed[]' "$TMP/$label.report.json" > "$TMP/$label.observed"
  jq -e '.init_order.placed == [] and .init_order.placed_unknown == true' "$TMP/$label.report.json" >/dev/null \
    || die "$label: init_order: $(jq -c '.init_order | del(.observed)' "$TMP/$label.report.json")"
  inittrace_order "$S" > "$TMP/inittrace"
  [ -s "$TMP/inittrace" ] || die "GODEBUG=inittrace=1 printed nothing"
  diff "$TMP/inittrace" "$TMP/$label.observed" >&2 || die "$label: the observed init order differs from inittrace's"
  grepq '^init order (observed; the placed order is unknown: the binary is stripped)$' "$TMP/$label.report.txt" \
    || die "$label: the text report does not say the placed order is unknown"
  grepq -E '^  main\.main ' "$TMP/$label.report.txt" || die "$label: no main.main phase"
  pass "$label: phases to main.main in order, observed init order = inittrace ($(wc -l < "$TMP/inittrace") packages), no init-order check (placed unknown, said so), every check passes"
}
engine_run ptrace
"$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"
if [ $? -ne 4 ]; then
  engine_run ebpf --engine ebpf
else
  echo "eBPF engine unavailable here, its run left out: $(cat "$TMP/probe.err")"
fi
finish
