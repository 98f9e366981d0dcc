#!/usr/bin/env bash
# run --manifest: the manifest `rt0trace build --manifest` wrote must be the traced binary's (its Go build
# ID), and gives a stripped binary (-ldflags='-s -w': no .symtab, so no placed init order of its own;
# tests/integration/stripped.sh) the placed order, so the report makes its init-order check:
#  - a stripped build's manifest (placed.init_order null: the order is the linker's, worked out from the
#    packages' imports), under ptrace and eBPF: the check passes, placed = the program's own inittrace;
#  - a binary stripped after its build with the unstripped build's manifest (its placed.init_order);
#  - the fixture "many" (a vendored standard-library package, net's dnsmessage), stripped;
#  - refused, exit 3 with one line, no trace written: another build's manifest, a binary with no Go build
#    ID (also with -p), a missing, unreadable or invalid manifest file.
# The preload engine cannot observe a Go program's package inits (and these builds are static), so it is
# left out.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
SRC=${RT0_SRC:?}
GOROOT_=${GOROOT:-/usr/local/go}
[ -x "$GOROOT_/bin/go" ] || skip "no Go toolchain at '$GOROOT_'"
need_ptrace

build() { # NAME DIR [build args...]: rt0trace build of DIR into $TMP/NAME with the manifest $TMP/NAME.json
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && CGO_ENABLED=0 "$R" build --goroot "$GOROOT_" "$@" -o "$TMP/$name" --manifest "$TMP/$name.json" .) \
    >"$TMP/$name.build" 2>&1 || die "rt0trace build of $name failed: $(tail -5 "$TMP/$name.build")"
}
build ds "$SRC/tests/fixtures/diamond" -ldflags '-s -w'
build du "$SRC/tests/fixtures/diamond"
readelf -SW "$TMP/ds" | grepq '\.symtab' && die "the -s -w build has a .symtab"
jq -e '.placed.init_order == null' "$TMP/ds.json" >/dev/null || die "the stripped build's manifest has a placed init order"
strip -o "$TMP/du.stripped" "$TMP/du" || die "strip failed"
readelf -SW "$TMP/du.stripped" | grepq '\.symtab' && die "strip left a .symtab"
pass "built: diamond with -ldflags '-s -w' (manifest without init order), and without (stripped afterwards)"

traced() { # LABEL BINARY MANIFEST RUN-OPTIONS...: BINARY traced with --manifest, its report's init order checked
  local label=$1 bin=$2 man=$3
  shift 3
  "$R" run "$@" --manifest "$man" -o "$TMP/$label.jsonl" -- "$bin" >"$TMP/$label.out" 2>"$TMP/$label.err" \
    || die "$label: run exit $?: $(cat "$TMP/$label.err")"
  "$R" report --format json -o "$TMP/$label.report.json" "$TMP/$label.jsonl" || die "$label: report exit $?"
  jq -e --arg m "$man" '.[0].binary.manifest == $m and ([.[0].binary.probes[] | select(.role == "init")]
         | length > 0 and all(has("placed") | not))' -s "$TMP/$label.jsonl" >/dev/null \
    || die "$label: the trace's binary: $(head -1 "$TMP/$label.jsonl" | jq -c '.binary | {manifest, probes: [.probes[] | select(.role == "init")][:3]}')"
  jq -e '[.checks[] | select(.name == "init order")] | length == 1 and .[0].status == "pass"' "$TMP/$label.report.json" \
    >/dev/null || die "$label: checks: $(jq -c '.checks' "$TMP/$label.report.json")"
  jq -e '.checks | all(.status == "pass") ' "$TMP/$label.report.json" >/dev/null \
    || die "$label: a check failed: $(jq -c '[.checks[] | select(.status != "pass")]' "$TMP/$label.report.json")"
  jq -e '.init_order.match and (.init_order.placed_unknown | not)' "$TMP/$label.report.json" >/dev/null \
    || die "$label: init_order: $(jq -c '.init_order' "$TMP/$label.report.json")"
  inittrace_order "$bin" > "$TMP/$label.inittrace"
  jq -r '.init_order.placed[]' "$TMP/$label.report.json" | diff "$TMP/$label.inittrace" - >&2 \
    || die "$label: the placed order is not the program's inittrace order"
  pass "$label: init-order check passes, $(wc -l < "$TMP/$label.inittrace") packages placed as the program's inittrace, every check passes"
}
traced ptrace "$TMP/ds" "$TMP/ds.json"
"$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"
if [ $? -ne 4 ]; then
  traced ebpf "$TMP/ds" "$TMP/ds.json" --engine ebpf
else
  echo "eBPF engine unavailable here, its run left out: $(cat "$TMP/probe.err")"
fi
traced stripped-after "$TMP/du.stripped" "$TMP/du.json"
build many "$SRC/tests/fixtures/many" -ldflags '-s -w'
traced many "$TMP/many" "$TMP/many.json"

# --- refused -------------------------------------------------------------------------------------------
cd "$TMP" || die "cd $TMP"
refused() { # 'stderr line' DESCRIPTION RUN-ARGS...: exit 3, that one line, and no trace written
  local line=$1 what=$2
  shift 2
  rm -f "$TMP/refused.jsonl"
  expect_error 3 "$line" "$what" -- "$R" run -o "$TMP/refused.jsonl" "$@"
  [ ! -e "$TMP/refused.jsonl" ] || die "$what: a trace was written"
}
id_ds=$("$R" inspect --json ds | jq -r '.go.build_id')
id_du=$(jq -r '.link.build_id' du.json)
[ -n "$id_ds" ] && [ "$id_ds" != "$id_du" ] || die "build IDs: '$id_ds' and '$id_du'"
refused "rt0trace: the manifest 'du.json' is not of './ds': it is of Go build ID $id_du, the binary's is $id_ds" \
  "another build's manifest" --manifest du.json -- ./ds
refused "rt0trace: the manifest 'ds.json' is not of '/bin/true': the binary has no Go build ID" \
  "a binary with no Go build ID" --manifest ds.json -- /bin/true
sleep 30 &
sleeper=$!
refused "rt0trace: the manifest 'ds.json' is not of '/proc/$sleeper/exe': the binary has no Go build ID" \
  "-p of a process with no Go build ID" --manifest ds.json -p "$sleeper"
kill "$sleeper"
wait "$sleeper" 2>/dev/null
refused "rt0trace: cannot read the manifest 'nope.json': unable to open nope.json: No such file or directory" \
  "a missing manifest" --manifest nope.json -- ./ds
unparsable() { # FILE DESCRIPTION: exit 3 with one line, jansson's reason after the file's name
  run_ok 3 "$2" -- "$R" run -o "$TMP/refused.jsonl" --manifest "$1" -- ./ds
  grepq -x "rt0trace: cannot read the manifest '$1': .*" "$TMP/err" && [ "$(wc -l < "$TMP/err")" -eq 1 ] \
    || die "$2: $(cat "$TMP/err")"
  pass "$2: '$(cat "$TMP/err")' (exit 3)"
}
mkdir -p adir
unparsable adir "a directory as the manifest"
echo '{"format": "rt0trace-manifest",' > trunc.json
unparsable trunc.json "a manifest that is not JSON"
invalid() { # JQ-EDIT FILE 'message' DESCRIPTION: ds.json edited into FILE, refused with "rt0trace: message"
  jq "$1" ds.json > "$2" || die "jq '$1' failed"
  refused "rt0trace: $3" "$4" --manifest "$2" -- ./ds
}
invalid '.format = "rt0trace-baseline"' other.json \
  "'other.json' is not an rt0trace manifest (written by 'rt0trace build --manifest')" "another format"
invalid '.version = 2' v2.json "'v2.json': manifest version 2; this rt0trace reads version 1" "another version"
invalid 'del(.link.build_id)' noid.json "'noid.json': the manifest has no link.build_id" "no build ID"
invalid '.packages[0].imports = "fmt"' badpkg.json "'badpkg.json': package #1 of the manifest has no path or no imports" \
  "a package without imports"
invalid '.placed.init_order = {}' badorder.json \
  "'badorder.json': the manifest's placed.init_order is neither an array nor null" "an init order that is not an array"
finish
