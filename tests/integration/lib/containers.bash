# Real container runtimes for the integration tests (sourced after common.bash): podman with runc, and a
# private containerd daemon. Nothing here edits /etc or touches a system podman's or containerd's state.
#
#   podman_usable            0 when podman can run a container here; else prints why (one line) and 1
#   podman_cmd ARGS...       podman with this project's configuration: --runtime runc, CONTAINERS_CONF
#                            and CONTAINERS_STORAGE_CONF pointing at files under $TEST_CACHE/containers
#   scratch_image NAME BINARY [ARGS...]
#                            a local image NAME (e.g. localhost/rt0-diamond:1) FROM scratch holding
#                            BINARY as /<its base name>, the entrypoint [/<base>, ARGS...] (podman build)
#   containerd_start         a private containerd (its root, state and socket in a temporary directory,
#                            its shim io.containerd.runc.v2 running runc); 0 once it answers, else prints
#                            why (one line) and 1. Stopped at exit; containerd_stop stops it earlier.
#   containerd_stop          kills its tasks, stops the daemon, removes its directory
#   ctr_cmd ARGS...          ctr against that daemon, namespace rt0trace-tests
#   ctr_import ARCHIVE [NAME]
#                            imports an OCI archive (docker-archive too) into it, under the name its
#                            index gives (org.opencontainers.image.ref.name: podman save and rt0trace
#                            image -t write the whole NAME:TAG); with NAME, 1 unless that image is then
#                            there. (ctr's --index-name is not used: containerd 1.6 loses the index it
#                            makes, "content digest ...: not found".)
#
# Why the configuration: podman's default OCI runtime here is crun, which is not installed (runc is), and
# runc cannot apply the RLIMIT_NOFILE/NPROC defaults podman asks for in this VM ("default_ulimits = []"
# asks for none). Storage: overlay works on this kernel (native, no fuse-overlayfs); RT0_PODMAN_DRIVER=vfs
# picks vfs instead. The store stays in the test cache across runs (images made by tests are small).
# containerd: its default shim (io.containerd.runc.v2) runs the runc on PATH; the CRI plugin is disabled
# (no kubelet, and it would start CNI watchers).
#
# Call podman_usable and containerd_start in the test's own shell, not in $(...): they remember their
# result (containerd_start its daemon's pid, for the stop at exit). E.g.
#   podman_usable >"$TMP/why" || skip "$(cat "$TMP/why")"
#   if containerd_start >"$TMP/why"; then ...; else echo "skipped: ctr run: $(cat "$TMP/why")"; fi

CT_CACHE=$TEST_CACHE/containers
PODMAN_CONF=$CT_CACHE/podman/containers.conf
PODMAN_STORAGE_CONF=$CT_CACHE/podman/storage.conf

# Writes the two configuration files when missing or different (several tests may run at once: each
# writes a temporary file and renames it into place).
podman_conf() {
  local d=$CT_CACHE/podman
  mkdir -p "$d/storage" "$d/run" "$d/tmp" || return 1
  local want_conf want_storage
  want_conf=$(printf '%s\n' '# written by tests/integration/lib/containers.bash' \
    '[containers]' 'default_ulimits = []' \
    '[engine]' 'runtime = "runc"' "tmp_dir = \"$d/tmp\"" 'events_logger = "file"' \
    "events_logfile_path = \"$d/events.log\"")
  want_storage=$(printf '%s\n' '# written by tests/integration/lib/containers.bash' \
    '[storage]' "driver = \"${RT0_PODMAN_DRIVER:-overlay}\"" "graphroot = \"$d/storage\"" "runroot = \"$d/run\"")
  if [ "$(cat "$PODMAN_CONF" 2>/dev/null)" != "$want_conf" ]; then
    printf '%s\n' "$want_conf" >"$PODMAN_CONF.$$" && mv -f "$PODMAN_CONF.$$" "$PODMAN_CONF" || return 1
  fi
  if [ "$(cat "$PODMAN_STORAGE_CONF" 2>/dev/null)" != "$want_storage" ]; then
    printf '%s\n' "$want_storage" >"$PODMAN_STORAGE_CONF.$$" && mv -f "$PODMAN_STORAGE_CONF.$$" "$PODMAN_STORAGE_CONF" || return 1
  fi
}

podman_cmd() {
  CONTAINERS_CONF=$PODMAN_CONF CONTAINERS_STORAGE_CONF=$PODMAN_STORAGE_CONF podman --runtime runc "$@"
}

# The first line of a command's error output that says something (podman prefixes "Error: ").
ct_reason() {
  grep -m1 -E 'Error|error|level=fatal|denied|not permitted|no such' "$1" 2>/dev/null || tail -n 1 "$1"
}

# Checks once per test: podman and runc installed, root (the tests' rootful store), podman's store
# usable, and a container really run: a static program in a root file system of its own (--rootfs),
# which needs no image. The program is the diamond fixture when built, else this test's own static
# check is left to the first real run.
PODMAN_USABLE=
podman_usable() {
  if [ -n "$PODMAN_USABLE" ]; then
    [ "$PODMAN_USABLE" = yes ] && return 0
    echo "$PODMAN_USABLE"
    return 1
  fi
  local why=
  if ! command -v podman >/dev/null; then
    why="podman is not installed (scripts/setup installs it)"
  elif ! command -v runc >/dev/null; then
    why="runc is not installed (scripts/setup installs it)"
  elif [ "$(id -u)" -ne 0 ]; then
    why="podman tests run rootful and this is not root (uid $(id -u))"
  elif ! podman_conf; then
    why="cannot write podman's configuration under '$CT_CACHE/podman'"
  elif ! podman_cmd info >"$TMP/podman-info.out" 2>"$TMP/podman-info.err"; then
    why="podman info fails: $(ct_reason "$TMP/podman-info.err")"
  elif [ -x "$RT0_FIXTURES/diamond" ]; then
    local root=$TMP/podman-probe-rootfs
    mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/etc" && cp "$RT0_FIXTURES/diamond" "$root/prog"
    if ! podman_cmd run --rm --network none --rootfs "$root" /prog >"$TMP/podman-probe.out" 2>"$TMP/podman-probe.err"; then
      why="podman --runtime runc cannot run a container here: $(ct_reason "$TMP/podman-probe.err")"
    elif ! grep -q '^diamond: ' "$TMP/podman-probe.out"; then
      why="podman ran the probe container but its output is not the program's: $(head -c 200 "$TMP/podman-probe.out")"
    fi
    rm -rf "$root"
  fi
  if [ -n "$why" ]; then
    PODMAN_USABLE=$why
    echo "$why"
    return 1
  fi
  PODMAN_USABLE=yes
}

# scratch_image NAME BINARY [ARGS...]: podman build of a generated Containerfile in a context of its own.
scratch_image() {
  local name=$1 bin=$2
  shift 2
  local base ctx
  base=$(basename -- "$bin")
  ctx=$(mktemp -d "$TMP/image-ctx-XXXXXX") || return 1
  cp -- "$bin" "$ctx/$base" || return 1
  chmod 0755 "$ctx/$base"
  {
    echo 'FROM scratch'
    echo "COPY $base /$base"
    printf 'ENTRYPOINT %s\n' "$(jq -cn --arg b "/$base" '[$b] + $ARGS.positional' --args "$@")"
  } >"$ctx/Containerfile"
  podman_cmd build --pull=never --timestamp 0 -f "$ctx/Containerfile" -t "$name" "$ctx" >"$ctx/build.out" 2>&1 || {
    echo "podman build of $name failed: $(ct_reason "$ctx/build.out")" >&2
    return 1
  }
}

CTRD_DIR=
CTRD_PID=
ctr_cmd() { ctr --address "$CTRD_DIR/containerd.sock" --namespace rt0trace-tests "$@"; }

containerd_start() {
  if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
    echo "containerd is not installed (scripts/setup installs it)"
    return 1
  fi
  if ! command -v runc >/dev/null; then
    echo "runc is not installed (scripts/setup installs it): containerd's runc shim needs it"
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "a containerd daemon needs root and this is uid $(id -u)"
    return 1
  fi
  [ -z "$CTRD_PID" ] || return 0
  # Short path: the socket's must fit a sockaddr_un (108 bytes).
  CTRD_DIR=$(mktemp -d /tmp/rt0-ctrd-XXXXXX) || { echo "cannot make a temporary directory for containerd"; return 1; }
  cat >"$CTRD_DIR/config.toml" <<EOF
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_DIR/containerd.sock"
[ttrpc]
  address = "$CTRD_DIR/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
  containerd --config "$CTRD_DIR/config.toml" >"$CTRD_DIR/containerd.log" 2>&1 &
  CTRD_PID=$!
  # Stopped when the test exits, before common.bash's cleanup runs.
  local prev
  prev=$(trap -p EXIT)
  prev=${prev#trap -- }
  prev=${prev% EXIT}
  eval "prev=${prev:-''}"
  trap "containerd_stop; $prev" EXIT
  # Ready when ctr gets an answer; gone when the daemon exits (its log says why).
  local i
  for i in $(seq 1 300); do
    if ! kill -0 "$CTRD_PID" 2>/dev/null; then
      local why
      why=$(grep -m1 -E 'level=(fatal|error)' "$CTRD_DIR/containerd.log" || tail -n 1 "$CTRD_DIR/containerd.log")
      CTRD_PID=
      echo "containerd exited at start: $why"
      return 1
    fi
    if ctr_cmd version >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "containerd did not answer on '$CTRD_DIR/containerd.sock' after 300 tries: $(tail -n 1 "$CTRD_DIR/containerd.log")"
  containerd_stop
  return 1
}

containerd_stop() {
  [ -n "$CTRD_DIR" ] || return 0
  if [ -n "$CTRD_PID" ]; then
    local t c
    for t in $(ctr_cmd tasks ls -q 2>/dev/null); do
      ctr_cmd tasks kill -s SIGKILL "$t" >/dev/null 2>&1
      ctr_cmd tasks delete -f "$t" >/dev/null 2>&1
    done
    for c in $(ctr_cmd containers ls -q 2>/dev/null); do
      ctr_cmd containers delete "$c" >/dev/null 2>&1
    done
    kill "$CTRD_PID" 2>/dev/null
    wait "$CTRD_PID" 2>/dev/null
    CTRD_PID=
  fi
  # Whatever mounts a killed task left (snapshots, the shim's rootfs), innermost first.
  local m
  for m in $(awk -v d="$CTRD_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "$CTRD_DIR"
  CTRD_DIR=
}

ctr_import() {
  local archive=$1 name=${2:-}
  ctr_cmd images import "$archive" || return 1
  if [ -n "$name" ] && ! ctr_cmd images ls -q | grep -qxF "$name"; then
    echo "ctr images import of '$archive' made no image '$name' (the index's org.opencontainers.image.ref.name names it): $(ctr_cmd images ls -q | tr '\n' ' ')" >&2
    return 1
  fi
}
