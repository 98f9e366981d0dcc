#!/usr/bin/env bash
# The agent's deployment files (deploy/): the systemd unit passes `systemd-analyze verify` without a
# warning, the Kubernetes manifest parses as YAML and is a DaemonSet with hostPID, not privileged, all
# capabilities dropped and the unit's set added; the command line each runs is one `rt0trace agent`
# accepts (its options are in `rt0trace agent --help`, and given a file as the output directory the
# agent gets past its options and stops at the directory, exit 3: no agent is left running); both name
# the capabilities docs/usage.md lists; `cmake --install` lays the unit down pointing at its rt0trace.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
SRC=${RT0_SRC:?}
UNIT=$SRC/deploy/rt0trace-agent.service
DS=$SRC/deploy/kubernetes/rt0trace-agent-daemonset.yaml
[ -f "$UNIT" ] || die "no $UNIT"
[ -f "$DS" ] || die "no $DS"

"$R" agent --help >"$TMP/help" 2>&1 || die "rt0trace agent --help failed: $(cat "$TMP/help")"

# agent_cmdline WHAT ARGS...: ARGS (after the program) are `agent` and options --help lists; with -o
# pointed at a file, the agent exits 3 saying it cannot write there (options parsed, nothing started).
# Sets OUT_DIR to the -o directory.
agent_cmdline() {
  local what=$1 a out=
  shift
  [ "$1" = agent ] || die "$what runs '$*', not 'rt0trace agent ...'"
  shift
  local args=()
  while [ $# -gt 0 ]; do
    a=$1
    shift
    case $a in
      -o) out=$1; args+=(-o "$TMP/afile"); shift ;;
      -*) grepq -e "^  ${a%%=*}[ ,]" -e "^  -[a-z], ${a%%=*} " "$TMP/help" || die "$what: option $a is not in 'rt0trace agent --help'"
          args+=("$a") ;;
      *) args+=("$a") ;;
    esac
  done
  [ -n "$out" ] || die "$what: no -o DIR"
  : > "$TMP/afile"
  expect_error 3 "rt0trace agent: cannot write into '$TMP/afile': not a directory" "$what's command line" -- "$R" agent "${args[@]}"
  OUT_DIR=$out
}

# --- the systemd unit -----------------------------------------------------------------------------------
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
[ "$(echo "$exec_start" | wc -l)" = 1 ] && [ -n "$exec_start" ] || die "the unit has not exactly one ExecStart: '$exec_start'"
read -r -a cmd <<<"$exec_start"
[ "${cmd[0]}" = /usr/bin/rt0trace ] || die "the unit runs '${cmd[0]}', not /usr/bin/rt0trace (which the install rule rewrites)"
agent_cmdline "the unit" "${cmd[@]:1}"
unit_out=$OUT_DIR
grepq -x "ReadWritePaths=$unit_out" "$UNIT" || die "the unit's output directory $unit_out is not its ReadWritePaths"
grepq -x "StateDirectory=${unit_out#/var/lib/}" "$UNIT" || die "the unit's output directory $unit_out is not its StateDirectory"
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' | sed 's/^CAP_//' | sort | tr '\n' ' ')
[ "$unit_caps" = "BPF DAC_READ_SEARCH KILL PERFMON SYS_PTRACE " ] || die "the unit's capabilities are '$unit_caps'"
grepq -x 'NoNewPrivileges=yes' "$UNIT" && grepq -x 'ProtectSystem=strict' "$UNIT" && grepq -x 'Restart=on-failure' "$UNIT" \
  || die "the unit lacks NoNewPrivileges=yes, ProtectSystem=strict or Restart=on-failure"
! grepq -E '^(ProtectProc|ProcSubset|PrivatePIDs|PrivateUsers)=' "$UNIT" || die "the unit hides the host's /proc or users from the agent"
for c in $unit_caps; do
  grepq "| \`CAP_$c\` |" "$SRC/docs/usage.md" || die "docs/usage.md does not list CAP_$c"
done
[ "$(grep -c '^| `CAP_' "$SRC/docs/usage.md")" = 5 ] || die "docs/usage.md lists other capabilities than the unit's"
pass "the unit runs 'rt0trace agent ${cmd[*]:2}' (options accepted), writes only into $unit_out, with CAP_{$(echo $unit_caps | tr ' ' ',')} as docs/usage.md lists"

if command -v systemd-analyze >/dev/null; then
  mkdir "$TMP/unit"
  sed "s|^ExecStart=/usr/bin/rt0trace |ExecStart=$R |" "$UNIT" >"$TMP/unit/rt0trace-agent.service"
  systemd-analyze verify --man=no "$TMP/unit/rt0trace-agent.service" >"$TMP/verify.out" 2>&1 \
    || die "systemd-analyze verify failed: $(cat "$TMP/verify.out")"
  [ ! -s "$TMP/verify.out" ] || die "systemd-analyze verify warns: $(cat "$TMP/verify.out")"
  # the check sees a mistake: an unknown key is warned about
  (cat "$TMP/unit/rt0trace-agent.service"; printf '[Service]\nRestartt=always\n') >"$TMP/unit/bad.service"
  systemd-analyze verify --man=no "$TMP/unit/bad.service" >"$TMP/verify.out" 2>&1
  grepq "Unknown key 'Restartt'" "$TMP/verify.out" || die "systemd-analyze verify did not see an unknown key: $(cat "$TMP/verify.out")"
  pass "systemd-analyze verify: the unit has no warning (and an unknown key in it would be warned about)"
else
  echo "skipped: systemd-analyze verify: systemd-analyze is not installed"
fi

# --- the DaemonSet ----------------------------------------------------------------------------------------
command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null || skip "python3's yaml module is not installed (Debian: python3-yaml)"
python3 - "$DS" >"$TMP/ds.out" 2>&1 <<'PY' || die "the DaemonSet: $(cat "$TMP/ds.out")"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = [d for d in docs if d.get("kind") == "DaemonSet"]
assert len(ds) == 1, "not one DaemonSet in %s" % [d.get("kind") for d in docs]
ds = ds[0]
assert ds["apiVersion"] == "apps/v1", ds["apiVersion"]
tpl = ds["spec"]["template"]
sel = ds["spec"]["selector"]["matchLabels"]
assert all(tpl["metadata"]["labels"].get(k) == v for k, v in sel.items()), "the selector does not match the pod's labels"
spec = tpl["spec"]
assert spec.get("hostPID") is True, "hostPID is not true"
assert not spec.get("hostNetwork"), "hostNetwork"
(c,) = spec["containers"]
sc = c["securityContext"]
assert not sc.get("privileged"), "privileged"
assert sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false"
assert sc["capabilities"]["drop"] == ["ALL"], "capabilities not dropped: %s" % sc["capabilities"].get("drop")
lim = c["resources"]["limits"]
assert "memory" in lim and "cpu" in lim, "no memory or cpu limit"
vols = {v["name"]: v for v in spec["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
cmd = c["command"] + c.get("args", [])
out = cmd[cmd.index("-o") + 1]
assert out in mounts and "hostPath" in vols[mounts[out]], "the output directory %s is not a hostPath" % out
assert "/sys/kernel/btf" in mounts, "no /sys/kernel/btf"
print(" ".join(sorted(sc["capabilities"]["add"])))
print("\t".join(cmd))
PY
ds_caps="$(sed -n 1p "$TMP/ds.out") "
[ "$ds_caps" = "$unit_caps" ] || die "the DaemonSet adds '$ds_caps', the unit has '$unit_caps'"
IFS=$'\t' read -r -a dcmd < <(sed -n 2p "$TMP/ds.out")
[ "$(basename "${dcmd[0]}")" = rt0trace ] || die "the DaemonSet runs '${dcmd[0]}'"
agent_cmdline "the DaemonSet" "${dcmd[@]:1}"
ds_out=$OUT_DIR
pass "the DaemonSet parses: hostPID, not privileged, ALL dropped and the unit's capabilities added, limits, output $ds_out on a hostPath; its command line is accepted"

# --- installed ----------------------------------------------------------------------------------------------
BUILD=$(cd "$(dirname "$R")" && pwd)
if command -v cmake >/dev/null && [ -f "$BUILD/cmake_install.cmake" ]; then
  cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.out" 2>&1 || die "cmake --install failed: $(tail -3 "$TMP/install.out")"
  iu=$TMP/prefix/lib/systemd/system/rt0trace-agent.service
  [ -f "$iu" ] || die "cmake --install did not install lib/systemd/system/rt0trace-agent.service"
  grepq -x "ExecStart=$TMP/prefix/bin/rt0trace ${exec_start#/usr/bin/rt0trace }" "$iu" || die "the installed unit runs '$(sed -n 's/^ExecStart=//p' "$iu")'"
  diff <(grep -v '^ExecStart=' "$UNIT") <(grep -v '^ExecStart=' "$iu") >/dev/null || die "the installed unit differs from deploy/'s beyond ExecStart"
  pass "cmake --install --prefix P: P/lib/systemd/system/rt0trace-agent.service runs P/bin/rt0trace"
else
  echo "skipped: the installed unit: '$BUILD' is not a CMake build tree"
fi
finish
