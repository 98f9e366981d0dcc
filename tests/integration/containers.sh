#!/usr/bin/env bash
# The container runtimes the container tests use (lib/containers.bash): podman (with runc and this
# project's configuration) runs a scratch image of a pipeline-built static Go program and of the musl
# cgo fixture slowinit, and prints their output; a private containerd runs the same image through
# `ctr run`. Each part is skipped, with its reason, when its runtime cannot run here.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/containers.bash"
R=$RT0TRACE
need_fixture diamond

# The Go fixture, built by the pipeline (static: no cgo).
(cd "$RT0_SRC/tests/fixtures/diamond" && CGO_ENABLED=0 RT0TRACE_CACHE=$TEST_CACHE/containers/build-cache \
  "$R" build -o "$TMP/diamond" .) >"$TMP/build.out" 2>&1 || die "rt0trace build of diamond failed: $(tail -3 "$TMP/build.out")"
"$TMP/diamond" x >"$TMP/diamond.want" 2>&1 || die "the diamond fixture fails on its own"

podman_ok=
ran=0
if podman_usable >"$TMP/podman.why"; then
  podman_ok=1
  img=localhost/rt0-containers-diamond:test
  scratch_image "$img" "$TMP/diamond" x || die "scratch_image $img failed"
  podman_cmd run --rm "$img" >"$TMP/podman.out" 2>"$TMP/podman.err" || die "podman run $img: $(ct_reason "$TMP/podman.err")"
  diff -u "$TMP/diamond.want" "$TMP/podman.out" >&2 || die "podman run: the container's output is not the program's"
  podman_cmd image inspect --format '{{json .Config.Entrypoint}}' "$img" >"$TMP/ep" 2>&1 || die "podman image inspect: $(cat "$TMP/ep")"
  [ "$(cat "$TMP/ep")" = '["/diamond","x"]' ] || die "scratch image entrypoint: $(cat "$TMP/ep")"
  pass "podman --runtime runc run of a scratch image (entrypoint [/diamond x]) prints the program's output: $(head -c 60 "$TMP/podman.out")..."
  ran=$((ran + 1))

  if [ -e "$RT0_FIXTURES/slowinit" ]; then
    simg=localhost/rt0-containers-slowinit:test
    scratch_image "$simg" "$RT0_FIXTURES/slowinit" a || die "scratch_image $simg failed"
    podman_cmd run --rm "$simg" >"$TMP/slow.out" 2>"$TMP/slow.err" || die "podman run $simg: $(ct_reason "$TMP/slow.err")"
    [ "$(cat "$TMP/slow.out")" = 'slowinit: init slept 50 ms, args ["a"]' ] || die "slowinit in podman: $(cat "$TMP/slow.out")"
    pass "podman runs the static musl cgo fixture slowinit FROM scratch: $(cat "$TMP/slow.out")"
    podman_cmd rmi -f "$simg" >/dev/null 2>&1
  else
    echo "skipped: slowinit in podman: $(cat "$RT0_FIXTURES/slowinit.skip" 2>/dev/null || echo 'the fixture was not built')"
  fi
else
  echo "skipped: podman: $(cat "$TMP/podman.why")"
fi

# containerd: the same image, exported by podman as an OCI archive (skopeo-free), imported, run.
if [ -z "$podman_ok" ]; then
  echo "skipped: ctr run: no image to run without podman (podman: $(cat "$TMP/podman.why"))"
elif containerd_start >"$TMP/ctrd.why"; then
  podman_cmd save --format oci-archive -o "$TMP/diamond.oci.tar" "$img" >"$TMP/save.out" 2>&1 || die "podman save: $(ct_reason "$TMP/save.out")"
  ctr_import "$TMP/diamond.oci.tar" "$img" >"$TMP/import.out" 2>&1 || die "ctr images import: $(ct_reason "$TMP/import.out")"
  ctr_cmd run --rm "$img" rt0-ctr-$$ >"$TMP/ctr.out" 2>"$TMP/ctr.err" || die "ctr run: $(ct_reason "$TMP/ctr.err")"
  diff -u "$TMP/diamond.want" "$TMP/ctr.out" >&2 || die "ctr run: the container's output is not the program's"
  pass "a private containerd (socket in $CTRD_DIR) imports the image and ctr run prints the program's output"
  pid=$CTRD_PID dir=$CTRD_DIR
  containerd_stop
  [ ! -e "/proc/$pid" ] && [ ! -e "$dir" ] || die "containerd_stop left the daemon ($pid) or its directory ($dir)"
  ran=$((ran + 1))
else
  echo "skipped: ctr run: $(cat "$TMP/ctrd.why")"
fi
[ -z "$podman_ok" ] || podman_cmd rmi -f "$img" >/dev/null 2>&1
[ "$ran" -gt 0 ] || skip "no container runtime usable here: podman: $(cat "$TMP/podman.why")"
finish
