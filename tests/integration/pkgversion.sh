#!/usr/bin/env bash
# rt0trace build PKG@VERSION against `go install PKG@VERSION` (the oracle; tests only), and the Go
# checksum database that stands in for go.sum there:
#   - shfmt@v3.14.1 and shfmt@latest, default flags and -trimpath: byte-identical to go install's
#     binaries (build IDs blanked), every module fetched from an empty GOMODCACHE through a file://
#     proxy that also serves the checksum database (its lookups and tiles as go cached them);
#   - what rt0trace verified is cached as go caches it: go install then runs from that GOPATH with the
#     proxy off and the database on;
#   - tampering, each exit 5, one message saying what, nothing written at -o and nothing unverified in
#     the module cache: a record changed, a note's signature changed, a module zip changed (caught
#     against the database's hash), the recorded newest log changed;
#   - GOSUMDB=off and GONOSUMDB take the changed zip as go does (same bytes as go install's);
#   - bad input: an unknown version (5), a module whose go.mod has replace directives (5, go's
#     message), a malformed GOSUMDB (4), a std package, a version query, an empty version (2).
# The modules and the database's answers are fetched once through the real proxy by the oracle's setup
# (go install) into the test cache ($RT0_TEST_CACHE/pkgversion); skipped when that cannot be done.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/gobuild.bash"
gobuild_vars # R, SRC, GOROOT_, GO, STRACE
command -v python3 >/dev/null || skip "python3 is not installed"
export GOENV=off GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 RT0TRACE_CACHE=$TMP/cache
unset GOPROXY GOSUMDB GONOSUMDB GONOPROXY GOPRIVATE GOINSECURE GOFLAGS GOPATH GOMODCACHE GOBIN
MOD=mvdan.cc/sh/v3
PKG=$MOD/cmd/shfmt
VER=v3.14.1
PV=$TEST_CACHE/pkgversion

# The oracle's setup, once: go install through the real proxy and checksum database into PV's GOPATH.
if [ ! -e "$PV/fetched" ]; then
  rm -rf "$PV" && mkdir -p "$PV"
  (cd "$PV" && GOPATH=$PV/gopath GOFLAGS=-modcacherw GOBIN=$PV/bin "$GO" install "$PKG@$VER") >"$TMP/setup.log" 2>&1 \
    || skip "go install $PKG@$VER through the module proxy failed (no network?): $(tail -3 "$TMP/setup.log")"
  touch "$PV/fetched"
fi
# The file:// proxy: go's download cache is the proxy layout; its sumdb/ part is the database's.
cp -r "$PV/gopath/pkg/mod/cache/download" "$TMP/proxy"
find "$TMP/proxy" -name '*.lock' -delete
[ -d "$TMP/proxy/sumdb/sum.golang.org/lookup" ] || die "go's setup cached no checksum database lookups"
touch "$TMP/proxy/sumdb/sum.golang.org/supported"
export GOPROXY=file://$TMP/proxy

# ref NAME [go install flags...]: go install into $TMP/ref-NAME from PV's module cache (the file://
# proxy for its deprecation query)
ref() {
  local name=$1
  shift
  (cd "$TMP" && env GOPATH=$PV/gopath GOFLAGS=-modcacherw GOSUMDB=off GOBIN=$TMP/ref-$name \
     "$GO" install "$@" "$PKG@$VER") >"$TMP/ref.log" 2>&1 || die "go install ($name) failed: $(tail -3 "$TMP/ref.log")"
}
# fresh NAME: an empty GOPATH (module cache and the database's newest log)
fresh() { rm -rf "$TMP/gp-$1"; mkdir -p "$TMP/gp-$1"; echo "GOPATH=$TMP/gp-$1"; }

# 1. default flags, from an empty module cache (and the reference from the same GOPATH: an untrimmed
# binary holds the module cache's paths); then -trimpath; then @latest
TRIM='' mine plain "$TMP" "$PKG@$VER" "$TMP/mine-plain" "$(fresh a)" GOFLAGS=-modcacherw
# what rt0trace verified is cached where go looks: go install from that GOPATH, the checksum database on
# (only the file:// proxy to reach it: every lookup and tile it needs must be in rt0trace's cache)
L=$TMP/gp-a/pkg/sumdb/sum.golang.org/latest
[ -s "$L" ] || die "no newest log recorded at $L"
head -n 1 "$L" | grepq -Fx "go.sum database tree" || die "$L is not a tree note: $(head -c 200 "$L")"
for f in "$MOD@$VER" "mvdan.cc/editorconfig@v0.3.0"; do
  [ -s "$TMP/gp-a/pkg/mod/cache/download/sumdb/sum.golang.org/lookup/$f" ] || die "lookup $f was not cached"
done
rm -rf "$TMP/proxy-empty" && mkdir -p "$TMP/proxy-empty/mvdan.cc/sh/v3/@v" "$TMP/proxy-empty/sumdb/sum.golang.org"
cp "$TMP/proxy/mvdan.cc/sh/v3/@v/list" "$TMP/proxy/mvdan.cc/sh/v3/@v/$VER".{info,mod} "$TMP/proxy-empty/mvdan.cc/sh/v3/@v/"
touch "$TMP/proxy-empty/sumdb/sum.golang.org/supported"
(cd "$TMP" && GOPATH=$TMP/gp-a GOFLAGS=-modcacherw GOPROXY=file://$TMP/proxy-empty GOBIN=$TMP/ref-plain "$GO" install "$PKG@$VER") \
  >"$TMP/goa.log" 2>&1 || die "go install from rt0trace's GOPATH, its checksum database on: $(tail -3 "$TMP/goa.log")"
pass "go install runs from the module cache, lookups, tiles and newest log rt0trace wrote (a proxy with no modules and no database answers)"
TRIM='' same "shfmt@$VER, every module and hash fetched through the file:// proxy and its database" "$TMP/ref-plain/shfmt" "$TMP/mine-plain"
ref trim -trimpath
MINE_CACHED=1 mine trim "$TMP" "$PKG@$VER" "$TMP/mine-trim" GOPATH="$TMP/gp-a" GOFLAGS=-modcacherw
same "shfmt@$VER -trimpath" "$TMP/ref-trim/shfmt" "$TMP/mine-trim"
TRIM='' MINE_CACHED=1 mine latest "$TMP" "$PKG@latest" "$TMP/mine-latest" GOPATH="$TMP/gp-a" GOFLAGS=-modcacherw
TRIM='' same "shfmt@latest (the proxy lists $VER only)" "$TMP/ref-plain/shfmt" "$TMP/mine-latest"

# bad CODE 'stderr text' DESCRIPTION PKG@VER [env...]: rt0trace build fails so, nothing at -o
bad() {
  local code=$1 want=$2 what=$3 arg=$4
  shift 4
  rm -f "$TMP/bad.out"
  (cd "$TMP" && env GOFLAGS=-modcacherw "$@" "$R" build -o "$TMP/bad.out" "$arg") >"$TMP/out" 2>"$TMP/err"
  local got=$?
  [ "$got" -eq "$code" ] || die "$what: exit $got, want $code: $(cat "$TMP/err")"
  grepq -F -- "$want" "$TMP/err" || die "$what: stderr '$(cat "$TMP/err")' lacks '$want'"
  [ ! -e "$TMP/bad.out" ] || die "$what: something was written at -o"
  pass "$what: exit $code, '$(head -n 1 "$TMP/err" | cut -c1-220)'"
}
# proxy NAME: a copy of the proxy to change
proxy() { rm -rf "$TMP/proxy-$1"; cp -r "$TMP/proxy" "$TMP/proxy-$1"; chmod -R u+w "$TMP/proxy-$1"; echo "$TMP/proxy-$1"; }
LOOKUP=sumdb/sum.golang.org/lookup

# 3. tampering
P=$(proxy rec)
python3 - "$P/$LOOKUP/mvdan.cc/editorconfig@v0.3.0" "$P/$LOOKUP/$MOD@$VER" <<'EOF'
import sys, re
ec, sh = (open(f).read() for f in sys.argv[1:3])
other = re.search(r"^mvdan\.cc/sh/v3 v\S+ (h1:\S+)$", sh, re.M).group(1)
bad = re.sub(r"^(mvdan\.cc/editorconfig v0\.3\.0 )h1:\S+$", lambda m: m.group(1) + other, ec, count=1, flags=re.M)
assert bad != ec
open(sys.argv[1], "w").write(bad)
EOF
bad 5 "the record does not prove against the signed log" "a record the database did not log" "$PKG@$VER" "$(fresh rec)" GOPROXY="file://$P"
[ ! -e "$TMP/gp-rec/pkg/mod/mvdan.cc/editorconfig@v0.3.0" ] || die "the module of a record that did not prove was extracted"

P=$(proxy sig)
python3 - "$P/$LOOKUP/$MOD@$VER" <<'EOF'
import sys
f = sys.argv[1]
lines = open(f, encoding="utf-8").read().split("\n")
i = max(k for k, l in enumerate(lines) if l.startswith("\u2014 sum.golang.org "))
name, sig = lines[i].rsplit(" ", 1)
sig = sig[:20] + ("A" if sig[20] != "A" else "B") + sig[21:]
lines[i] = name + " " + sig
open(f, "w", encoding="utf-8").write("\n".join(lines))
EOF
bad 5 "invalid signature for key sum.golang.org+033de0ae" "a log head whose signature was changed" "$PKG@$VER" "$(fresh sig)" GOPROXY="file://$P"

P=$(proxy zip)
python3 - "$P/mvdan.cc/editorconfig/@v/v0.3.0.zip" <<'EOF'
import sys, zipfile
f = sys.argv[1]
with zipfile.ZipFile(f) as z:
    items = [(i, z.read(i)) for i in z.infolist()]
with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
    for i, data in items:
        if i.filename.endswith("/editorconfig.go"):
            data += b"\n// changed\n"
        z.writestr(i, data)
EOF
rm -f "$P/mvdan.cc/editorconfig/@v/v0.3.0.ziphash"
bad 5 "the checksum database has h1:" "a module zip changed at the proxy" "$PKG@$VER" "$(fresh zip)" GOPROXY="file://$P"
grepq -F "SECURITY ERROR" "$TMP/err" || die "the changed zip's message does not say SECURITY ERROR"
[ ! -e "$TMP/gp-zip/pkg/mod/mvdan.cc/editorconfig@v0.3.0" ] && [ ! -e "$TMP/gp-zip/pkg/mod/cache/download/mvdan.cc/editorconfig/@v/v0.3.0.zip" ] \
  || die "the changed zip was put into the module cache"
pass "nothing of the changed module reached the module cache"

# 4. GOSUMDB=off and GONOSUMDB: the changed zip is taken as it is, by go and by rt0trace alike
for how in off nosumdb; do
  if [ $how = off ]; then set -- GOSUMDB=off; else set -- GONOSUMDB=mvdan.cc/editorconfig; fi
  (cd "$TMP" && rm -rf "$TMP/gpref-$how" && env GOPATH=$TMP/gpref-$how GOFLAGS=-modcacherw GOPROXY="file://$P" "$@" \
     GOBIN=$TMP/ref-$how "$GO" install -trimpath "$PKG@$VER") >"$TMP/ref.log" 2>&1 || die "go install with $* failed: $(tail -3 "$TMP/ref.log")"
  MINE_CACHED=1 mine $how "$TMP" "$PKG@$VER" "$TMP/mine-$how" "$(fresh $how)" GOFLAGS=-modcacherw GOPROXY="file://$P" "$@"
  same "$*: the changed zip taken as go takes it" "$TMP/ref-$how/shfmt" "$TMP/mine-$how"
done

P=$(proxy latest)
cp "$L" "$TMP/latest.bad" && sed -i '3s/^./\//' "$TMP/latest.bad"
cmp -s "$L" "$TMP/latest.bad" && sed -i '3s/^./+/' "$TMP/latest.bad"
mkdir -p "$TMP/gp-lat/pkg/sumdb/sum.golang.org" && cp "$TMP/latest.bad" "$TMP/gp-lat/pkg/sumdb/sum.golang.org/latest"
bad 5 "$TMP/gp-lat/pkg/sumdb/sum.golang.org/latest: invalid signature" "a recorded newest log that was changed" "$PKG@$VER" \
  GOPATH="$TMP/gp-lat" GOPROXY="file://$P"

# 5. bad input
bad 5 "$MOD/cmd/shfmt@v3.99.0" "an unknown version" "$PKG@v3.99.0" "$(fresh unk)"
# a module with a replace directive, served by the file:// proxy (GONOSUMDB: the database does not know it)
P=$(proxy repl)
python3 - "$P/example.com/withrepl/@v" <<'EOF'
import sys, os, zipfile
d = sys.argv[1]
os.makedirs(d)
gomod = "module example.com/withrepl\n\ngo 1.22\n\nreplace example.com/other => ./other\n"
open(f"{d}/list", "w").write("v1.0.0\n")
open(f"{d}/v1.0.0.info", "w").write('{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}')
open(f"{d}/v1.0.0.mod", "w").write(gomod)
with zipfile.ZipFile(f"{d}/v1.0.0.zip", "w") as z:
    z.writestr("example.com/withrepl@v1.0.0/go.mod", gomod)
    z.writestr("example.com/withrepl@v1.0.0/cmd/x/main.go", "package main\n\nfunc main() {}\n")
EOF
bad 5 "contains one or
	more replace directives" "a module whose go.mod has a replace directive" "example.com/withrepl/cmd/x@v1.0.0" \
  "$(fresh repl)" GOPROXY="file://$P" GONOSUMDB=example.com
bad 4 "invalid GOSUMDB" "a malformed GOSUMDB" "$PKG@$VER" "$(fresh gs)" GOSUMDB="sum.example.com+0000000+AAAA"
bad 2 "argument must not be a package in the standard library" "a standard-library package" "fmt@v1.0.0"
bad 2 "PKG@vX.Y.Z (a canonical version) or PKG@latest" "a version query" "$PKG@v3"
bad 2 "version must not be empty" "an empty version" "$PKG@"
finish
