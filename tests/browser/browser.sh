#!/bin/sh
# browser/browser.sh - the report and the live dashboard in Debian's headless
# Chromium (installed when missing, as root):
#  1. the HTML report written from the report fixture
#     (tests/data/report/fixture.sql): the DOM after load has the summary,
#     timeline, themes, clusters and breakdowns sections and inline SVG
#     charts, and no live-update marks (the report has no script);
#  2. the dashboard served by cxflow-dash over the same database: the same
#     sections, and the page's script ran: data-live="ok" on <html> is set
#     only after its first successful /api/summary update, and no script
#     error was recorded (data-errors / #dash-errors, written by its
#     window.onerror);
#  3. screenshots under BUILD/screenshots: report.png (1280x2000),
#     report-phone.png (390x844), dashboard.png (1280x2000); each must be a
#     PNG of that size, and not tiny.
# Usage: browser.sh BIN ROOT BUILD
BIN=$1 ROOT=$2 BUILD=$3
. "$ROOT/tests/lib.sh"
SHOTS=$BUILD/screenshots

need_chromium
command -v sqlite3 >/dev/null 2>&1 || fail "sqlite3 is missing (tools/cxflow test installs it)"

# chrome and check_png: tests/lib.sh
# sections FILE - the report's key elements are in the dumped DOM
sections() {
    for id in summary timeline themes clusters breakdowns; do
        grep -q "<section id=\"$id\"" "$1" || fail "$1: no #$id section"
    done
    grep -q '<svg' "$1" || fail "$1: no inline SVG chart"
    grep -q 'refund not received' "$1" || fail "$1: the largest cluster is not shown"
    grep -q '<section id="alerts"' "$1" || fail "$1: no #alerts section"
}

DB=$T/out/cxflow.db
mkdir -p "$T/out" "$SHOTS"
rm -f "$SHOTS/report.png" "$SHOTS/report-phone.png" "$SHOTS/dashboard.png"
sqlite3 "$DB" <"$ROOT/tests/data/report/fixture.sql" || fail "cannot build the fixture database"
LEX=$ROOT/tests/data/report/lexicons

# ---- 1. the report file
"$BIN/cxflow-report" --db "$DB" --lexicons "$LEX" -o "$T/report.html" --title "Nordwind feedback" >/dev/null ||
    fail "cxflow-report failed"
chrome --dump-dom "file://$T/report.html" >"$T/report.dom" || fail "chromium could not load the report"
sections "$T/report.dom"
grep -q '<h1>Nordwind feedback</h1>' "$T/report.dom" || fail "report: no title"
! grep -q 'data-live=' "$T/report.dom" || fail "report: the file has live-update marks"
chrome --window-size=1280,2000 --screenshot="$SHOTS/report.png" "file://$T/report.html" >/dev/null ||
    fail "chromium could not take the report screenshot"
chrome --window-size=390,844 --screenshot="$SHOTS/report-phone.png" "file://$T/report.html" >/dev/null ||
    fail "chromium could not take the phone screenshot"
check_png "$SHOTS/report.png" 1280 2000
check_png "$SHOTS/report-phone.png" 390 844

# ---- 2. the live dashboard
write_conf "dashboard.listen = 127.0.0.1:0" "dashboard.refresh_s = 1" "lexicons.dir = $LEX"
mkdir -p "$T/run"
"$BIN/cxflow-dash" -c "$CONF" 2>>"$T/run/dash.log" &
EXTRA_PIDS=$!
i=0
while [ ! -s "$T/run/dash.url" ]; do i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "the dashboard did not start"; done
URL=$(cat "$T/run/dash.url")
# the script's first update needs a few turns of its event loop: virtual time runs them without waiting
chrome --virtual-time-budget=5000 --dump-dom "$URL" >"$T/dash.dom" || fail "chromium could not load the dashboard"
sections "$T/dash.dom"
html=$(grep -o '<html[^>]*>' "$T/dash.dom" | head -n 1)
case $html in *'data-live="ok"'*) ;; *) fail "dashboard: the live script did not complete an update: $html" ;; esac
case $html in *data-errors*) fail "dashboard: script errors: $(grep -A3 'id="dash-errors"' "$T/dash.dom")" ;; esac
! grep -q '<pre id="dash-errors"' "$T/dash.dom" || fail "dashboard: script errors: $(grep -A3 'id="dash-errors"' "$T/dash.dom")"
grep -q 'id="dash-status">live · 40 records' "$T/dash.dom" || fail "dashboard: status line not updated: $(grep -o 'id="dash-status">[^<]*' "$T/dash.dom")"
chrome --virtual-time-budget=3000 --window-size=1280,2000 --screenshot="$SHOTS/dashboard.png" "$URL" >/dev/null ||
    fail "chromium could not take the dashboard screenshot"
check_png "$SHOTS/dashboard.png" 1280 2000
note "screenshots: $SHOTS/report.png $SHOTS/report-phone.png $SHOTS/dashboard.png"
echo "browser_report_dashboard: all checks passed"
