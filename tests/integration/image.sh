#!/usr/bin/env bash
# rt0trace image: a minimal OCI image of a pipeline-built program. The image is reproducible (two runs,
# the same bytes and digests), its layer holds exactly the program (and /etc/passwd, /etc/group with
# --passwd) owned by 0:0 at mtime 0, its labels carry the Go build ID and the build manifest's digest,
# and `rt0trace inspect` of the binary taken back out of the layer agrees with the manifest. Then real
# tools: podman load + podman --runtime runc run prints the program's output (also the musl cgo
# slowinit), skopeo copy accepts both formats, ctr import + ctr run through a private containerd; each
# skipped with its reason when it cannot run here. Bad input: one message and the project's exit code.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/containers.bash"
R=$RT0TRACE
command -v jq >/dev/null || skip "jq is not installed (scripts/setup installs it)"
export RT0TRACE_CACHE=$TEST_CACHE/containers/build-cache
unset SOURCE_DATE_EPOCH

# The program and its manifest, built by the pipeline (static: no cgo), the manifest beside it.
(cd "$RT0_SRC/tests/fixtures/diamond" && CGO_ENABLED=0 "$R" build --manifest "$TMP/diamond.manifest.json" -o "$TMP/diamond" .) \
  >"$TMP/build.out" 2>&1 || die "rt0trace build of diamond failed: $(tail -3 "$TMP/build.out")"
"$TMP/diamond" >"$TMP/diamond.want" 2>&1 || die "diamond fails on its own"

# --- reproducible: the same inputs twice, the same bytes ----------------------------------------------
img=localhost/rt0-image-diamond:test
"$R" image --format oci-archive -t "$img" -o "$TMP/a1.tar" "$TMP/diamond" >"$TMP/a1.out" 2>"$TMP/a1.err" || die "image (archive): $(cat "$TMP/a1.err")"
touch "$TMP/diamond" # a new mtime: not part of the image
"$R" image --format oci-archive -t "$img" -o "$TMP/a2.tar" "$TMP/diamond" >"$TMP/a2.out" 2>"$TMP/a2.err" || die "image (archive 2): $(cat "$TMP/a2.err")"
cmp "$TMP/a1.tar" "$TMP/a2.tar" >&2 || die "two oci-archives of the same inputs differ"
"$R" image -t "$img" -o "$TMP/d1" "$TMP/diamond" >"$TMP/d1.out" 2>&1 || die "image (dir): $(cat "$TMP/d1.out")"
"$R" image -t "$img" -o "$TMP/d2" "$TMP/diamond" >"$TMP/d2.out" 2>&1 || die "image (dir 2): $(cat "$TMP/d2.out")"
diff -r "$TMP/d1" "$TMP/d2" >&2 || die "two image layouts of the same inputs differ"
digest=$(head -n 1 "$TMP/a1.out" | cut -d' ' -f1)
[ "$digest" = "$(head -n 1 "$TMP/d1.out" | cut -d' ' -f1)" ] || die "the archive's and the directory's manifest digests differ"
[ "$digest" = "$(jq -r '.manifests[0].digest' "$TMP/d1/index.json")" ] || die "printed digest $digest is not index.json's"
mkdir "$TMP/ax" && tar -xf "$TMP/a1.tar" -C "$TMP/ax" || die "the oci-archive is not a tar"
diff -r "$TMP/d1" "$TMP/ax" >&2 || die "the oci-archive does not hold the same layout as the directory"
pass "reproducible: two oci-archives byte-identical, two layout directories identical, the archive = the directory ($digest)"

# Every blob is named by its digest.
for b in "$TMP"/d1/blobs/sha256/*; do
  [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || die "blob $(basename "$b") does not hash to its name"
done
SOURCE_DATE_EPOCH=1700000000 "$R" image -t "$img" -o "$TMP/d3" "$TMP/diamond" >"$TMP/d3.out" 2>&1 || die "image with SOURCE_DATE_EPOCH: $(cat "$TMP/d3.out")"
[ "$(head -n 1 "$TMP/d3.out" | cut -d' ' -f1)" != "$digest" ] || die "SOURCE_DATE_EPOCH does not change the image"
man3=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$TMP/d3/index.json")
cfg3=$(jq -r '.config.digest | sub("sha256:"; "")' "$TMP/d3/blobs/sha256/$man3")
[ "$(jq -r '.created' "$TMP/d3/blobs/sha256/$cfg3")" = 2023-11-14T22:13:20Z ] || die "SOURCE_DATE_EPOCH=1700000000: created $(jq -r .created "$TMP/d3/blobs/sha256/$cfg3")"
pass "every blob hashes to its name; SOURCE_DATE_EPOCH=1700000000 is the config's created time (2023-11-14T22:13:20Z)"

# --- what the image holds -----------------------------------------------------------------------------
man=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$TMP/d1/index.json")
cfg=$(jq -r '.config.digest | sub("sha256:"; "")' "$TMP/d1/blobs/sha256/$man")
layer=$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$TMP/d1/blobs/sha256/$man")
C=$TMP/d1/blobs/sha256/$cfg
jq -e '.layers | length == 1' "$TMP/d1/blobs/sha256/$man" >/dev/null || die "not one layer"
[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$TMP/d1/index.json")" = "$img" ] || die "ref.name is not $img"
jq -e '.config.Entrypoint == ["/diamond"] and (.config | has("Cmd") | not) and .config.User == "0:0" and .os == "linux" and .architecture == "amd64"
       and .created == "1970-01-01T00:00:00Z" and .history[0].created_by == "rt0trace image"' "$C" >/dev/null \
  || die "config: $(jq -c . "$C")"
diff_id=$(gzip -dc "$TMP/d1/blobs/sha256/$layer" | sha256sum | cut -d' ' -f1)
[ "sha256:$diff_id" = "$(jq -r '.rootfs.diff_ids[0]' "$C")" ] || die "the config's diff_id is not the uncompressed layer's digest"
tar -tvzf "$TMP/d1/blobs/sha256/$layer" --numeric-owner --full-time >"$TMP/layer.list" || die "the layer is not a gzip tar"
[ "$(wc -l <"$TMP/layer.list")" -eq 1 ] && grep -qE '^-rwxr-xr-x 0/0 +[0-9]+ 1970-01-01 00:00:00 diamond$' "$TMP/layer.list" \
  || die "layer listing: $(cat "$TMP/layer.list")"
mkdir "$TMP/rootfs" && tar -xzf "$TMP/d1/blobs/sha256/$layer" -C "$TMP/rootfs" || die "cannot extract the layer"
cmp "$TMP/diamond" "$TMP/rootfs/diamond" >&2 || die "the layer's binary is not the program"
pass "one layer: only /diamond (0755, 0:0, mtime 0), the program's bytes; config: entrypoint [/diamond], user 0:0, diff_id = the layer's tar digest"

# Labels: the Go build ID and version of the binary, the manifest's digest; inspect agrees.
"$R" inspect --json "$TMP/rootfs/diamond" >"$TMP/inspect.json" || die "inspect of the image's binary failed"
bid=$(jq -r '.go.build_id' "$TMP/inspect.json")
[ -n "$bid" ] && [ "$bid" != null ] || die "no build ID in the image's binary"
[ "$bid" = "$(jq -r '.link.build_id' "$TMP/diamond.manifest.json")" ] || die "inspect's build ID $bid is not the manifest's"
[ "$(jq -r '.config.Labels["rt0trace.go.build-id"]' "$C")" = "$bid" ] || die "label rt0trace.go.build-id: $(jq -c .config.Labels "$C")"
[ "$(jq -r '.config.Labels["rt0trace.go.version"]' "$C")" = "$(jq -r '.go.version' "$TMP/inspect.json")" ] || die "label rt0trace.go.version"
[ "$(jq -r '.config.Labels["rt0trace.manifest.digest"]' "$C")" = "sha256:$(sha256sum <"$TMP/diamond.manifest.json" | cut -d' ' -f1)" ] \
  || die "label rt0trace.manifest.digest is not the manifest's sha256"
jq -r '.go.init_order[].package' "$TMP/inspect.json" >"$TMP/io.inspect"
jq -r '.placed.init_order[]? | if type == "object" then .package else . end' "$TMP/diamond.manifest.json" >"$TMP/io.manifest"
diff -u "$TMP/io.manifest" "$TMP/io.inspect" >&2 || die "inspect's placed init order of the image's binary differs from the manifest's"
pass "labels: Go build ID = inspect of the layer's binary = the manifest's link.build_id ($bid); the manifest's sha256; placed init order = the manifest's ($(wc -l <"$TMP/io.inspect") packages)"

# --user, --env, --passwd, ARGS.
"$R" image --user 65532:65532 --env GODEBUG=inittrace=1 --env A=b --passwd -o "$TMP/d4" "$TMP/diamond" x y >"$TMP/d4.out" 2>&1 || die "image --user --passwd: $(cat "$TMP/d4.out")"
man4=$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$TMP/d4/index.json")
C4=$TMP/d4/blobs/sha256/$(jq -r '.config.digest | sub("sha256:"; "")' "$TMP/d4/blobs/sha256/$man4")
L4=$TMP/d4/blobs/sha256/$(jq -r '.layers[0].digest | sub("sha256:"; "")' "$TMP/d4/blobs/sha256/$man4")
jq -e '.config.User == "65532:65532" and .config.Env == ["GODEBUG=inittrace=1", "A=b"] and .config.Cmd == ["x", "y"]' "$C4" >/dev/null || die "config: $(jq -c .config "$C4")"
[ "$(tar -tzf "$L4" | tr '\n' ' ')" = "diamond etc/ etc/group etc/passwd " ] || die "--passwd layer: $(tar -tzf "$L4" | tr '\n' ' ')"
tar -xzOf "$L4" etc/passwd | grep -qx 'app:x:65532:65532:app:/:/sbin/nologin' || die "/etc/passwd: $(tar -xzOf "$L4" etc/passwd)"
[ "$(jq -r '.manifests[0] | has("annotations")' "$TMP/d4/index.json")" = false ] || die "an image without -t has a ref.name"
pass "--user 65532:65532, --env (in order), ARGS as Cmd, --passwd adds etc/, etc/group, etc/passwd (sorted) with user app"

# An existing image layout at -o is replaced; its old blobs go.
"$R" image -t "$img" -o "$TMP/d4" "$TMP/diamond" >/dev/null 2>&1 || die "replacing an image layout failed"
diff -r "$TMP/d1" "$TMP/d4" >&2 || die "the replaced layout is not the new image alone"
[ -z "$(find "$TMP" -maxdepth 1 -name '.*tmp-*')" ] || die "temporary files left: $(find "$TMP" -maxdepth 1 -name '.*tmp-*')"
pass "an image layout at -o is replaced atomically (renameat2 exchange), nothing else left"

# --- the size, next to the seed's claim ---------------------------------------------------------------
size=$(stat -c %s "$TMP/a1.tar")
layer_size=$(stat -c %s "$TMP/d1/blobs/sha256/$layer")
binsize=$(stat -c %s "$TMP/diamond")
echo "size: diamond image: oci-archive $size bytes ($(awk -v s="$size" 'BEGIN{printf "%.2f", s/1e6}') MB), gzip layer $layer_size bytes, program $binsize bytes; the seed's Alpine-based image: 12.4 MB"

# --- podman ------------------------------------------------------------------------------------------
if podman_usable >"$TMP/podman.why"; then
  podman_cmd load -i "$TMP/a1.tar" >"$TMP/load.out" 2>&1 || die "podman load: $(ct_reason "$TMP/load.out")"
  grep -q "Loaded image: $img" "$TMP/load.out" || die "podman load: $(tail -1 "$TMP/load.out")"
  podman_cmd run --rm "$img" >"$TMP/podman.out" 2>"$TMP/podman.err" || die "podman run $img: $(ct_reason "$TMP/podman.err")"
  diff -u "$TMP/diamond.want" "$TMP/podman.out" >&2 || die "podman run: the output is not the program's"
  [ "$(podman_cmd image inspect --format '{{.Digest}}' "$img")" = "$digest" ] || die "podman's digest of $img is not $digest"
  psize=$(podman_cmd image inspect --format '{{.Size}}' "$img")
  pass "podman load + podman --runtime runc run $img prints the program's output; podman's digest = ours; podman size $psize bytes"
  echo "size: podman image inspect .Size of $img: $psize bytes, against the seed's 12.4 MB Alpine-based image"
  podman_cmd rmi -f "$img" >/dev/null 2>&1

  if command -v musl-gcc >/dev/null; then
    (cd "$RT0_SRC/tests/fixtures/slowinit" && CGO_ENABLED=1 CC=musl-gcc "$R" build -ldflags '-linkmode external -extldflags -static' \
       --manifest "$TMP/slowinit.manifest.json" -o "$TMP/slowinit" .) >"$TMP/sbuild.out" 2>&1 || die "rt0trace build of slowinit (musl): $(tail -3 "$TMP/sbuild.out")"
    simg=localhost/rt0-image-slowinit:test
    "$R" image --format oci-archive -t "$simg" -o "$TMP/s.tar" "$TMP/slowinit" one >"$TMP/s.out" 2>&1 || die "image of slowinit: $(cat "$TMP/s.out")"
    grep -q "manifest $TMP/slowinit.manifest.json" "$TMP/s.out" || die "the manifest beside slowinit was not used: $(cat "$TMP/s.out")"
    podman_cmd load -i "$TMP/s.tar" >"$TMP/sload.out" 2>&1 || die "podman load slowinit: $(ct_reason "$TMP/sload.out")"
    podman_cmd run --rm "$simg" >"$TMP/srun.out" 2>"$TMP/srun.err" || die "podman run $simg: $(ct_reason "$TMP/srun.err")"
    [ "$(cat "$TMP/srun.out")" = 'slowinit: init slept 50 ms, args ["one"]' ] || die "slowinit in podman: $(cat "$TMP/srun.out")"
    podman_cmd run --rm "$simg" two three >"$TMP/srun2.out" 2>&1 || die "podman run $simg two three: $(cat "$TMP/srun2.out")"
    [ "$(cat "$TMP/srun2.out")" = 'slowinit: init slept 50 ms, args ["two" "three"]' ] || die "run arguments do not replace Cmd: $(cat "$TMP/srun2.out")"
    echo "size: slowinit (musl cgo) oci-archive $(stat -c %s "$TMP/s.tar") bytes, against the seed's 12.4 MB"
    pass "the musl cgo program slowinit (rt0trace build, static) runs FROM its image in podman; run arguments replace Cmd"
    podman_cmd rmi -f "$simg" >/dev/null 2>&1
  else
    echo "skipped: slowinit's image: musl-gcc is not installed (Debian package musl-tools)"
  fi
else
  echo "skipped: podman load/run: $(cat "$TMP/podman.why")"
fi

# --- skopeo ------------------------------------------------------------------------------------------
if command -v skopeo >/dev/null; then
  skopeo copy --quiet "oci-archive:$TMP/a1.tar" "oci:$TMP/sk:test" >"$TMP/sk.out" 2>&1 || die "skopeo copy oci-archive: $(cat "$TMP/sk.out")"
  skopeo inspect --config "oci:$TMP/sk:test" >"$TMP/sk.cfg" 2>"$TMP/sk.err" || die "skopeo inspect: $(cat "$TMP/sk.err")"
  cmp <(jq -S . "$C") <(jq -S . "$TMP/sk.cfg") >&2 || die "skopeo's copy has another config"
  skopeo copy --quiet "oci:$TMP/d1" "oci:$TMP/sk2:test" >"$TMP/sk2.out" 2>&1 || die "skopeo copy oci (the layout directory): $(cat "$TMP/sk2.out")"
  pass "skopeo copy accepts the oci-archive and the layout directory; the copied config is ours"
else
  echo "skipped: skopeo copy: skopeo is not installed (scripts/setup installs it)"
fi

# --- containerd --------------------------------------------------------------------------------------
if containerd_start >"$TMP/ctrd.why"; then
  ctr_import "$TMP/a1.tar" "$img" >"$TMP/import.out" 2>&1 || die "ctr import: $(cat "$TMP/import.out")"
  ctr_cmd run --rm "$img" rt0-image-$$ >"$TMP/ctr.out" 2>"$TMP/ctr.err" || die "ctr run: $(ct_reason "$TMP/ctr.err")"
  diff -u "$TMP/diamond.want" "$TMP/ctr.out" >&2 || die "ctr run: the output is not the program's"
  pass "ctr images import + ctr run through a private containerd prints the program's output"
  containerd_stop
else
  echo "skipped: ctr run: $(cat "$TMP/ctrd.why")"
fi

# --- bad input: one message, the project's exit codes, nothing written -------------------------------
need_fixture cprog
expect_error 3 "rt0trace: '$RT0_FIXTURES/cprog' is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2): an image FROM scratch cannot run it; build it static (CGO_ENABLED=0, or cgo with CC=musl-gcc -ldflags '-linkmode external -extldflags -static') or pass --allow-dynamic" \
  "a dynamic program without --allow-dynamic" -- "$R" image -o "$TMP/bad1" "$RT0_FIXTURES/cprog"
[ ! -e "$TMP/bad1" ] || die "an image was written for a dynamic program"
expect_exit 0 "--allow-dynamic accepts it" -- "$R" image --allow-dynamic -o "$TMP/dyn" "$RT0_FIXTURES/cprog"
expect_error 3 "rt0trace: cannot open '$TMP/nothere': No such file or directory" "a missing binary" -- "$R" image -o "$TMP/bad2" "$TMP/nothere"
run_ok 3 "not an ELF file" -- "$R" image -o "$TMP/bad2" "$RT0_SRC/README.md"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^rt0trace: .*README.md" "$TMP/err" || die "not an ELF file: $(cat "$TMP/err")"
[ ! -e "$TMP/bad2" ] || die "an image was written for a missing or non-ELF binary"
touch "$TMP/afile"
expect_error 3 "rt0trace: cannot write the image to '$TMP/afile/img.tar': Not a directory" "an unwritable output (archive)" -- \
  "$R" image --format oci-archive -o "$TMP/afile/img.tar" "$TMP/diamond"
expect_error 3 "rt0trace: cannot write the image to '$TMP/afile/img': Not a directory" "an unwritable output (directory)" -- \
  "$R" image -o "$TMP/afile/img" "$TMP/diamond"
mkdir "$TMP/full" && echo keep >"$TMP/full/keep"
expect_error 3 "rt0trace: cannot write the image to '$TMP/full': a directory that is not empty and holds no OCI image layout" \
  "a non-empty directory that is no image" -- "$R" image -o "$TMP/full" "$TMP/diamond"
[ "$(ls -A "$TMP/full")" = keep ] || die "the non-empty directory was changed: $(ls -A "$TMP/full")"
for bad in 'Upper' 'a/B' 'a//b' 'name:' 'name:-tag' 'na me' "x@sha256:$digest" ':tag' 'a/-b'; do
  run_ok 2 "invalid name '$bad'" -- "$R" image -t "$bad" -o "$TMP/bad3" "$TMP/diamond"
  [ "$(head -n 1 "$TMP/err")" = "rt0trace image: invalid image name '$bad': NAME[:TAG] with lower-case path components ([a-z0-9] joined by '.', '_', '__' or '-'), an optional registry host first, a tag of at most 128 letters, digits, '_', '.', '-'" ] \
    || die "invalid name '$bad': $(cat "$TMP/err")"
done
[ ! -e "$TMP/bad3" ] || die "an image was written under an invalid name"
pass "9 invalid image names refused (exit 2, one message, then the --help pointer)"
for good in a localhost:5000/a/b_c__d.e-f:V1.0_x registry.example.com/team/app:latest a-b--c; do
  "$R" image -t "$good" -o "$TMP/good" "$TMP/diamond" >/dev/null 2>"$TMP/err" || die "valid name '$good' refused: $(cat "$TMP/err")"
done
pass "valid names accepted (a domain with a port, __ and -- separators, a tag with dots); a name without a tag is NAME:latest: $(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$TMP/good/index.json")"
(cd "$RT0_SRC/tests/fixtures/goinit" && CGO_ENABLED=0 "$R" build --manifest "$TMP/other.manifest.json" -o "$TMP/goinit" .) >"$TMP/b2.out" 2>&1 || die "build goinit: $(tail -3 "$TMP/b2.out")"
run_ok 3 "another build's manifest" -- "$R" image --manifest "$TMP/other.manifest.json" -o "$TMP/bad4" "$TMP/diamond"
grep -q "^rt0trace: the manifest '$TMP/other.manifest.json' is not of '$TMP/diamond': it is of Go build ID " "$TMP/err" && [ "$(wc -l <"$TMP/err")" -eq 1 ] \
  || die "another build's manifest: $(cat "$TMP/err")"
pass "another build's manifest refused (exit 3): $(cut -c1-80 "$TMP/err")..."
expect_error 4 "rt0trace: SOURCE_DATE_EPOCH='yesterday' is not a number of seconds since 1970 (up to year 9999)" "a malformed SOURCE_DATE_EPOCH" -- \
  env SOURCE_DATE_EPOCH=yesterday "$R" image -o "$TMP/bad5" "$TMP/diamond"
run_ok 2 "no -o" -- "$R" image "$TMP/diamond"
[ -z "$(find "$TMP" -maxdepth 2 -name '.*tmp-*')" ] || die "temporary files left after the failures: $(find "$TMP" -maxdepth 2 -name '.*tmp-*')"
finish
