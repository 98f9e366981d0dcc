#!/usr/bin/env bash
# rt0trace inspect: the CLI surface, JSON shape, bad inputs, and the placed init order vs inittrace.
. "$(dirname "$0")/lib/common.bash"
need_fixture diamond
R=$RT0TRACE
FX=$RT0_FIXTURES

# --- the command line -------------------------------------------------------------------------------
expect_exit 0 "rt0trace --help" -- "$R" --help
grep -q '^  inspect ' "$TMP/out" || die "--help does not list inspect"
expect_exit 0 "rt0trace --version" -- "$R" --version
grep -Eq '^rt0trace [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out" || die "--version printed '$(cat "$TMP/out")'"
expect_exit 0 "rt0trace inspect --help" -- "$R" inspect --help
grep -q 'usage: rt0trace inspect' "$TMP/out" || die "inspect --help has no usage line"
expect_exit 2 "rt0trace with no command" -- "$R"
expect_exit 2 "unknown command" -- "$R" frobnicate
[ "$(head -n 1 "$TMP/err")" = "rt0trace: unknown command 'frobnicate'" ] || die "unknown command: $(cat "$TMP/err")"
expect_exit 2 "inspect with no BINARY" -- "$R" inspect
expect_exit 2 "inspect with two BINARYs" -- "$R" inspect /bin/ls /bin/ls
expect_exit 2 "inspect with an unknown option" -- "$R" inspect --frob /bin/ls

# --- bad inputs: one line, exit 3 ---------------------------------------------------------------------
expect_error 3 "rt0trace: cannot open '$TMP/missing': No such file or directory" "missing file" -- "$R" inspect "$TMP/missing"
expect_error 3 "rt0trace: cannot read '$TMP': Is a directory" "directory" -- "$R" inspect "$TMP"
echo 'package main' > "$TMP/main.go"
expect_error 3 "rt0trace: '$TMP/main.go' is not an ELF file" "non-ELF file" -- "$R" inspect "$TMP/main.go"
head -c 100000 "$FX/diamond" > "$TMP/trunc"
expect_exit 3 "truncated Go ELF" -- "$R" inspect "$TMP/trunc"
grep -q "^rt0trace: '$TMP/trunc' is a truncated ELF file: " "$TMP/err" || die "truncated: $(cat "$TMP/err")"
cp "$FX/diamond" "$TMP/unreadable" && chmod 000 "$TMP/unreadable"
if [ "$(id -u)" -ne 0 ]; then
  expect_error 3 "rt0trace: cannot open '$TMP/unreadable': Permission denied" "unreadable file" -- "$R" inspect "$TMP/unreadable"
fi

# --- a non-Go ELF -------------------------------------------------------------------------------------
expect_exit 0 "inspect --json /bin/ls" -- "$R" inspect --json /bin/ls
jq -e '.go == null and .arch == "amd64" and .pie == true and .static == false and (.entry.addr|test("^0x[0-9a-f]+$"))
       and (.segments|map(select(.type == "LOAD"))|length) >= 2 and (.sections|length) > 10 and (.notes|length) >= 1' \
  "$TMP/out" >/dev/null || die "/bin/ls JSON: $(head -c 600 "$TMP/out")"
pass "/bin/ls: ELF facts reported, go is null, stripping noted"
expect_exit 0 "inspect /bin/ls (text)" -- "$R" inspect /bin/ls
grep -q 'not a Go binary' "$TMP/out" || die "/bin/ls text does not say it is not Go"

# --- Go binaries ---------------------------------------------------------------------------------------
check_inittrace() { # NAME: inspect's placed order == the program's own inittrace order
  local name=$1
  "$R" inspect --json "$FX/$name" > "$TMP/$name.json" || die "inspect $name failed"
  jq -r '.go.init_order[].package' "$TMP/$name.json" > "$TMP/$name.placed"
  inittrace_order "$FX/$name" > "$TMP/$name.ran"
  [ "$(wc -l < "$TMP/$name.ran")" -gt 3 ] || die "$name: inittrace printed too little"
  diff -u "$TMP/$name.ran" "$TMP/$name.placed" >&2 || die "$name: placed init order differs from inittrace"
  pass "$name: placed init order ($(wc -l < "$TMP/$name.placed") packages) == GODEBUG=inittrace=1 order"
}
for f in diamond asm embed vendored gofmt diamond-pie; do need_fixture "$f"; check_inittrace "$f"; done
jq -e '.entry.symbol == "_rt0_amd64_linux" and .go.module.path == "cmd/gofmt" and (.go.build_id|length) > 40' \
  "$TMP/gofmt.json" >/dev/null || die "gofmt JSON: entry/module/build_id wrong"
pass "gofmt: entry _rt0_amd64_linux, module path, build ID"

expect_exit 0 "inspect --json diamond-arm64" -- "$R" inspect --json "$FX/diamond-arm64"
jq -e '.arch == "arm64" and .entry.symbol == "_rt0_arm64_linux" and .go.init_order[-1].package == "main"
       and (.go.init_order|map(.package)|index("example.com/diamond/zbase")) < (.go.init_order|map(.package)|index("example.com/diamond/left"))' \
  "$TMP/out" >/dev/null || die "arm64 JSON: $(jq -c '{arch,entry}' "$TMP/out")"
pass "arm64 cross-build: entry _rt0_arm64_linux, init order read"
expect_exit 0 "inspect diamond-arm (text)" -- "$R" inspect "$FX/diamond-arm"
grep -Eq '^  entry +0x[0-9a-f]+ _rt0_arm_linux$' "$TMP/out" || die "arm text entry line missing"
grep -q '^init order (placed by the linker' "$TMP/out" || die "arm text has no init order"

expect_exit 0 "inspect --json stripped Go" -- "$R" inspect --json "$FX/diamond-stripped"
jq -e '.entry.symbol == "_rt0_amd64_linux" and .go.version != null and .go.init_order == null
       and (.notes|map(select(test("stripped; its [0-9]+ functions are named from the Go pclntab")))|length) == 1
       and (.notes|map(select(test("placed init order unavailable")))|length) == 1' "$TMP/out" >/dev/null \
  || die "stripped JSON: $(jq -c '{entry, go: .go.version, notes}' "$TMP/out")"
pass "stripped Go binary: version kept, the entry named from the pclntab, the init order unavailable with its reason"
finish
