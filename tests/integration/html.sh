#!/usr/bin/env bash
# rt0trace report --format html, loaded in headless Chromium: for a clean Go trace (diamond) and a crash
# trace (crash, RT0_CRASH=nil) the page's DOM after its script ran has one timeline bar per phase of
# `report --format json` (same names, starts and durations, drawn to one scale), one layout block per
# mapping, one item per check (same ok/fail), the crash section exactly when .crash is not null, and
# the exit; hovering and clicking every bar, row and block works; the page writes nothing to the
# console and requests nothing from the network (its source references nothing outside itself, and
# Chromium's network log shows no request from it). A deliberately broken page proves each of those
# detectors fires. The diamond trace rewritten with markup in its binary path and a package name shows
# that markup as text.
. "$(dirname "$0")/lib/common.bash"
need_fixture diamond
need_fixture crash
R=$RT0TRACE
FX=$RT0_FIXTURES
CHROMIUM=$(command -v chromium || command -v chromium-browser) \
  || skip "chromium is not installed (scripts/setup installs the Debian package 'chromium')"
need_ptrace

# chrome NAME PAGE: loads PAGE (a file) in headless Chromium; the DOM after scripts ran goes to
# $TMP/NAME.dom, Chromium's log (console messages included) to $TMP/NAME.log, its network log to
# $TMP/NAME.netlog. Chromium's own background fetches are kept off the network by the resolver rule.
chrome() {
  local name=$1 page=$2
  mkdir -p "$TMP/home"
  HOME=$TMP/home timeout 30 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --user-data-dir="$(mktemp -d "$TMP/profile-XXXXXX")" --host-resolver-rules='MAP * ~NOTFOUND' \
    --enable-logging=stderr --v=0 --log-net-log="$TMP/$name.netlog" \
    --dump-dom "file://$page" >"$TMP/$name.dom" 2>"$TMP/$name.log"
}

# What a page wrote to the console. Chromium logs every console message and every uncaught exception
# as one "INFO:CONSOLE..." line with its text and source (this version does not keep the level, so any
# console output at all counts).
console_lines() { grep -a 'CONSOLE' "$TMP/$1.log"; }

# URLs a page itself requested through the network stack: Chromium's own fetches carry no file://
# network isolation key, the page's do.
page_requests() {
  jq -r '.constants.logEventTypes.URL_REQUEST_START_JOB as $t | .events[] | select(.type == $t) | .params
         | select((.network_isolation_key // "") | startswith("file://")) | .url' "$TMP/$1.netlog"
}

# References in an HTML source that would leave the page: any http(s)/ws/ftp URL, and any src=, href=,
# action=, poster=, srcset=, url(...) or @import whose target is not a data: URI or a #fragment.
outside_refs() {
  grep -aoiE '(https?|wss?|ftp)://[^"'"'"' <>)]*' "$1"
  local attrs='src|href|xlink:href|action|formaction|poster|srcset|background|ping|manifest'
  grep -aoiE "[[:space:]]($attrs)[[:space:]]*=[[:space:]]*(\"[^\"]*\"|'[^']*'|[^[:space:]>]+)" "$1" \
    | grep -viE '=[[:space:]]*["'"'"']?(data:|#)'
  grep -aoiE 'url\([^)]*\)|@import[^;]*' "$1" | grep -viE 'url\([[:space:]]*["'"'"']?(data:|#)'
  return 0
}

unescape() { sed -e 's/&quot;/"/g; s/&#39;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&nbsp;/ /g; s/&amp;/\&/g'; }

# attr NAME: the value of attribute NAME of each element on stdin (one element per line).
attr() { sed -nE "s/.* $1=\"([^\"]*)\".*/\\1/p" | unescape; }

# --- the detectors fire on a broken page (and Chromium runs at all) --------------------------------
cat >"$TMP/broken.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
<body><p id="rt0-probe">probe</p><img src="http://rt0trace-netcheck.invalid/x.png" alt="">
<script>console.error("rt0trace-deliberate-console-error"); throw new Error("rt0trace-deliberate-throw");</script>
</body></html>
EOF
chrome broken "$TMP/broken.html"
rc=$?
grep -q 'id="rt0-probe"' "$TMP/broken.dom" 2>/dev/null \
  || skip "headless chromium cannot load a page here (exit $rc): $(grep -av -e dbus -e 'unexpected operator' "$TMP/broken.log" | tail -n 2 | tr '\n' ' ')"
console_lines broken | grepq 'rt0trace-deliberate-console-error' \
  || die "console detection: the broken page's console.error was not seen in Chromium's log: $(tail -n 5 "$TMP/broken.log")"
console_lines broken | grepq 'Uncaught Error: rt0trace-deliberate-throw' \
  || die "console detection: the broken page's uncaught exception was not seen: $(console_lines broken)"
pass "console detection fires on a broken page: $(console_lines broken | wc -l) console lines (console.error and an uncaught throw)"
[ -s "$TMP/broken.netlog" ] && page_requests broken | grepq '^http://rt0trace-netcheck.invalid/x.png$' \
  || die "network detection: Chromium's net log does not show the broken page's request: $(page_requests broken 2>&1 | head -3)"
outside_refs "$TMP/broken.html" | grepq 'rt0trace-netcheck.invalid' \
  || die "network detection: the source scan misses the broken page's http:// image"
pass "network detection fires on a broken page (net log and source scan both see its http:// image)"

# --- traces ---------------------------------------------------------------------------------------
"$R" run -o "$TMP/diamond.jsonl" -- "$FX/diamond" >/dev/null 2>"$TMP/diamond.run.err" \
  || die "diamond: run failed: $(head -c 400 "$TMP/diamond.run.err")"
RT0_CRASH=nil "$R" run -o "$TMP/crash.jsonl" -- "$FX/crash" >/dev/null 2>"$TMP/crash.run.err"
[ $? -eq 2 ] || die "crash: the traced program did not exit 2 (a Go panic): $(tail -c 400 "$TMP/crash.run.err")"

# What Chromium loads is the page plus this script after its own (one load per page, to keep the test
# short): once the page's script has run, it hovers and clicks every bar, row and layout block, then
# marks <html data-selftest> ok or failed.
cat >"$TMP/selftest.js" <<'EOF'
(function () {
  var ok = true, tip = document.getElementById('tip'), bars = document.querySelectorAll('#timeline rect.phase');
  function fire(el, type) { el.dispatchEvent(new MouseEvent(type, { bubbles: true, clientX: 40, clientY: 40 })); }
  if (!tip || !bars.length) ok = false;
  bars.forEach(function (b) {
    fire(b, 'mousemove');
    if (tip.hidden || tip.textContent.indexOf(b.dataset.name) < 0) ok = false;
    fire(b, 'mouseleave');
    if (!tip.hidden) ok = false;
    fire(b, 'click');
    var row = document.getElementById('row-' + b.dataset.row);
    if (!row || !row.classList.contains('hl') || !b.classList.contains('hl')) ok = false;
  });
  document.querySelectorAll('#phase-table tr.phase-row').forEach(function (row) {
    fire(row, 'click');
    var bar = document.getElementById('phase-' + row.dataset.row);
    if (!bar || !bar.classList.contains('hl') || document.querySelectorAll('.hl').length !== 2) ok = false;
  });
  document.querySelectorAll('#layout rect.map').forEach(function (m) {
    fire(m, 'mousemove');
    if (tip.hidden || tip.textContent.indexOf(m.dataset.start) < 0) ok = false;
    fire(m, 'mouseleave');
  });
  document.documentElement.setAttribute('data-selftest', ok ? 'ok' : 'failed');
})();
EOF

check_page() { # NAME: $TMP/NAME.jsonl -> html, json, checked in Chromium
  local n=$1 want_rc=$2
  "$R" report --format html -o "$TMP/$n.html" "$TMP/$n.jsonl"
  local rc=$?
  [ "$rc" -eq "$want_rc" ] || die "$n: report --format html exit $rc, want $want_rc"
  "$R" report --format json -o "$TMP/$n.json" "$TMP/$n.jsonl"
  [ $? -eq "$want_rc" ] || die "$n: report --format json exit differs"
  local J=$TMP/$n.json

  # self-contained: nothing outside the page, and a policy that forbids fetching anything
  local refs
  refs=$(outside_refs "$TMP/$n.html")
  [ -z "$refs" ] || die "$n: the page references something outside itself: $(echo "$refs" | head -5)"
  grep -q "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';" "$TMP/$n.html" \
    || die "$n: no Content-Security-Policy forbidding fetches"
  pass "$n: the html ($(wc -c <"$TMP/$n.html") bytes) references nothing outside itself and forbids fetches (CSP)"

  awk -v js="$TMP/selftest.js" '/<\/body>/ { print "<script>"; while ((getline l < js) > 0) print l; print "</script>" } { print }' \
    "$TMP/$n.html" >"$TMP/$n.loaded.html"
  chrome "$n" "$TMP/$n.loaded.html" || die "$n: chromium failed (exit $?): $(tail -n 3 "$TMP/$n.log")"
  local D=$TMP/$n.dom
  grep -q '<html lang="en" data-js="ready"' "$D" || die "$n: the page's script did not finish (no data-js=ready): $(console_lines "$n")"
  ! console_lines "$n" >/dev/null || die "$n: the page wrote to the console: $(console_lines "$n" | head -5)"
  [ -s "$TMP/$n.netlog" ] || die "$n: chromium wrote no net log"
  [ -z "$(page_requests "$n")" ] || die "$n: the page made network requests: $(page_requests "$n" | head -5)"
  grep -q 'data-selftest="ok"' "$D" || die "$n: hover/click self-test: $(grep -o 'data-selftest="[a-z]*"' "$D" || echo 'did not run')"
  pass "$n: in headless chromium its script ran, hover shows tooltips, click highlights bar and row; no console output, no request"

  # timeline: one bar per phase, same names, starts and durations, one scale
  grep -q '<svg id="timeline"' "$D" || die "$n: no <svg id=timeline>"
  grep -ao '<rect class="phase [^>]*>' "$D" >"$TMP/$n.bars"
  local nph
  nph=$(jq '.phases | length' "$J")
  [ "$(wc -l <"$TMP/$n.bars")" -eq "$nph" ] || die "$n: $(wc -l <"$TMP/$n.bars") phase bars, the json has $nph phases"
  diff <(attr data-name <"$TMP/$n.bars") <(jq -r '.phases[].name' "$J") >&2 || die "$n: bar names differ from the json's phases"
  diff <(paste -d' ' <(attr data-start-ns <"$TMP/$n.bars") <(attr data-dur-ns <"$TMP/$n.bars")) \
    <(jq -r '.phases[] | "\(.start_ns) \(.dur_ns)"' "$J") >&2 || die "$n: bar starts/durations differ from the json's"
  paste -d' ' <(attr x <"$TMP/$n.bars") <(attr width <"$TMP/$n.bars") <(attr data-start-ns <"$TMP/$n.bars") \
    <(attr data-dur-ns <"$TMP/$n.bars") | awk -v total="$(grep -ao '<svg id="timeline"[^>]*>' "$D" | attr data-total-ns)" '
      NR == 1 { x0 = $1 } { x[NR] = $1; w[NR] = $2; s[NR] = $3; d[NR] = $4 }
      END {
        scale = (x[NR] + w[NR] - x0) / total     # the last phase ends at the last event
        if (scale <= 0) { print "no scale"; exit 1 }
        for (i = 1; i <= NR; i++) {
          ex = x0 + s[i] * scale; ew = d[i] * scale; if (ew < 1) ew = 1
          if (x[i] - ex > 0.01 || ex - x[i] > 0.01 || w[i] - ew > 0.01 || ew - w[i] > 0.01) {
            printf "bar %d at x=%s width=%s, to scale it is x=%.3f width=%.3f\n", i, x[i], w[i], ex, ew; exit 1 }
        }
      }' >&2 || die "$n: the timeline is not drawn to one scale"
  local ticks
  ticks=$(grep -ao '<line class="tick"' "$D" | wc -l)
  [ "$ticks" -ge 3 ] || die "$n: the timeline's time axis has $ticks ticks"
  pass "$n: timeline: $nph bars = the json's phases (names, starts, durations), x and width to one time scale, $ticks axis ticks"

  # syscall table: one row per phase
  local rows
  rows=$(grep -ac '<tr class="phase-row' "$D")
  [ "$rows" -eq "$nph" ] || die "$n: the syscall table has $rows rows, want $nph"
  # layout: one block per mapping, in the json's order
  grep -q '<svg id="layout"' "$D" || die "$n: no <svg id=layout>"
  diff <(grep -ao '<rect class="map [^>]*>' "$D" | attr data-start) <(jq -r '.layout[].start' "$J") >&2 \
    || die "$n: the layout blocks differ from the json's layout rows"
  # checks: one item per check, same verdicts
  diff <(grep -ao '<li class="check [a-z]*"' "$D" | sed -E 's/.*check (ok|fail)"/\1/') \
    <(jq -r '.checks[] | if .ok then "ok" else "fail" end' "$J") >&2 || die "$n: the checks list differs from the json's checks"
  grep -q '<section id="init-order">' "$D" || die "$n: no init-order section"
  grep -q '<section id="exit">' "$D" || die "$n: no exit section"
  local status
  status=$(jq -r '.exit.status' "$J")
  grep -aq "<p>exit status $status</p>" "$D" || die "$n: the exit section does not say 'exit status $status'"
  pass "$n: $nph syscall-table rows, $(jq '.layout | length' "$J") layout blocks, $(jq '.checks | length' "$J") checks" \
    "(same verdicts), init order, exit status $status"

  # crash section exactly when the json has a crash
  if jq -e '.crash != null' "$J" >/dev/null; then
    grep -q '<section id="crash">' "$D" || die "$n: the json has a crash, the page has no crash section"
    local fn
    fn=$(jq -r '.crash.function' "$J")
    [ "$(grep -ao '<dd class="mono" id="crash-function">[^<]*' "$D" | sed 's/.*>//' | unescape)" = "$fn" ] \
      || die "$n: the crash section does not name the function '$fn'"
    [ "$(grep -ac '<details class="thread"' "$D")" -eq "$(jq '.crash.backtrace | length' "$J")" ] \
      || die "$n: the crash section does not have one backtrace per thread"
    grep -aq '<pre class="panic">panic: ' "$D" || die "$n: the crash section has no panic message"
    pass "$n: crash section: function $fn, the panic message, $(jq '.crash.backtrace | length' "$J") thread backtraces"
  else
    ! grep -q 'id="crash"' "$D" || die "$n: a crash section but the json has no crash"
    pass "$n: no crash section (the json has none)"
  fi
}

check_page diamond 0
check_page crash 1

# --- strings from the trace are escaped: the diamond trace with markup in its binary path and in a
# package name (every occurrence, so the report is otherwise the same) shows them as text ------------
cat >"$TMP/evil.sed" <<'EOF'
s|@@BIN@@|/tmp/rt0 <svg onload=console.error(1)>\\"'\&</script><script>console.error(2)</script>/diamond|g
s|"example.com/diamond/left"|"example.com/diamond/<i>left</i>\\"\&'"|g
EOF
sed "s|\"$FX/diamond\"|\"@@BIN@@\"|g" "$TMP/diamond.jsonl" | sed -f "$TMP/evil.sed" >"$TMP/evil.jsonl"
head -n 1 "$TMP/evil.jsonl" | jq -e '.binary.path | contains("\"'"'"'&</script><script>")' >/dev/null \
  || die "evil: the rewritten trace does not carry the markup"
grep -q '"example.com/diamond/<i>left</i>\\"&'"'"'"' "$TMP/evil.jsonl" || die "evil: the rewritten trace has no marked-up package"
check_page evil 0
# two scripts: the page's own and the self-test's; the trace's <script> and <svg onload> must be text
[ "$(grep -aoi '<script' "$TMP/evil.dom" | wc -l)" -eq 2 ] && ! grep -aq -e '<i>left' -e '<svg onload' "$TMP/evil.dom" \
  || die "evil: markup from the trace became elements: $(grep -ao -e '<i>left[^<]*' -e '<svg onload[^>]*>' -e '<script>console[^<]*' "$TMP/evil.dom" | head -3)"
grep -aqF "<title>rt0trace report: /tmp/rt0 &lt;svg onload=console.error(1)&gt;\"'&amp;&lt;/script&gt;&lt;script&gt;console.error(2)&lt;/script&gt;/diamond</title>" "$TMP/evil.dom" \
  || die "evil: the title does not show the path as text: $(grep -ao '<title>.*</title>' "$TMP/evil.dom")"
pass "evil: markup in the binary path and in a package name is shown as text (no script or element but the page's own)"
finish
