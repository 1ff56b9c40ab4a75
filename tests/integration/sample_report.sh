#!/bin/sh
# integration/sample_report.sh - what the demo promises: the bundled sample
# (tools/sample/feedback.jsonl, 2,520 records in six languages, four planted
# problems labelled in tools/sample/feedback_labels.tsv) through the whole
# pipeline, then the report.  One partition, so records arrive in file order
# and the (order-dependent, deterministic) clustering is the same on every
# run; the demo's four partitions give a similar, not identical, result.  Checks, against the sample's labels (never seen by the
# pipeline):
#   * every record is stored, none dropped from the trend windows as late;
#   * each planted problem P1-P4 has a cluster that is mostly that problem
#     (>= 60% of its records) and holds a good part of it (>= 20%), and the
#     report shows that cluster (its label) among the top root causes;
#   * the planted spike (P2, log-outs since the 5.2 update of 2026-09-15)
#     raised a day-window volume alert on 09-15, and the report's alerts
#     section shows it, linked to the alerting cluster's entry;
#   * the live dashboard (cxflow-dash) on the same database shows the same:
#     /api/clusters lists those four clusters, /api/alerts the spike, and the
#     page rendered in headless Chromium has their entries with its live
#     script running without errors.  Screenshots of the report, its top
#     root causes and the dashboard go to
#     BUILD/screenshots/sample-{report,clusters,dashboard}.png.
# Usage: sample_report.sh BIN ROOT BUILD
BIN=$1 ROOT=$2 BUILD=$3
. "$ROOT/tests/lib.sh"
write_conf "kafka.partitions = 1"
start_pipeline
SAMPLE=$ROOT/tools/sample/feedback.jsonl
N=$(grep -c . "$SAMPLE")
"$BIN/cxflow-produce" -c "$CONF" --quiet --max-ahead 500 "$SAMPLE"
wait_records "$N" 300
late=$(metric cluster trend_late_dropped_total)
[ "${late:-0}" = 0 ] || fail "$late records dropped from the trend windows as late"
stop_pipeline

# the labels next to the records
sqlite3 -batch "$T/out/cxflow.db" <<SQL || fail "cannot load the sample's labels"
CREATE TEMP TABLE x (id TEXT, sentiment TEXT, topic TEXT, script TEXT, quirks TEXT);
.mode tabs
.import $ROOT/tools/sample/feedback_labels.tsv x
CREATE TABLE sample_labels AS SELECT id, topic FROM x WHERE id NOT LIKE '#%';
SQL

REPORT=$T/report.html
"$BIN/cxflow-report" -c "$CONF" -o "$REPORT" --since all >"$T/report.log" 2>&1 || fail "report failed: $(cat "$T/report.log")"
[ -s "$REPORT" ] || fail "empty report"

PCLUSTERS=
for p in P1 P2 P3 P4; do
    total=$(sql "SELECT count(*) FROM sample_labels WHERE topic = '$p'")
    # the cluster holding the most of problem p, with its size and purity
    row=$(sql "SELECT r.cluster_id, sum(l.topic = '$p'), count(*) FROM records r JOIN sample_labels l USING (id)
               WHERE r.cluster_id > 0 GROUP BY r.cluster_id ORDER BY 2 DESC, 1 LIMIT 1")
    cid=${row%%|*} rest=${row#*|}
    hits=${rest%%|*} size=${rest#*|}
    note "$p ($total records): cluster $cid holds $hits of them, $size records in all"
    [ $((hits * 100)) -ge $((size * 60)) ] || fail "$p: cluster $cid is only $hits/$size that problem"
    [ $((hits * 100)) -ge $((total * 20)) ] || fail "$p: its best cluster $cid holds only $hits of $total"
    label=$(sql "SELECT label FROM clusters WHERE cluster_id = $cid")
    [ -n "$label" ] || fail "$p: cluster $cid has no label"
    # the report's "Top root causes" entry of that cluster
    grep -q "id=\"cluster-$cid\"" "$REPORT" || fail "$p: the report does not show cluster $cid ($label)"
    PCLUSTERS="$PCLUSTERS $cid"
done

spike=$(sql "SELECT count(*) FROM alerts WHERE win = 'day' AND metric = 'volume'
             AND date(at / 1000, 'unixepoch') = '2026-09-15'")
[ "$spike" -ge 1 ] || fail "the planted spike of 2026-09-15 raised no alert: $(sql 'SELECT kind, key, win, at FROM alerts')"
note "alerts on 2026-09-15: $spike; in all: $(sql 'SELECT count(*) FROM alerts')"
# the report's "Spikes and alerts" section lists them, linked to the P2 cluster's entry when
# that cluster alerted
sed -n '/<section id="alerts">/,/<\/section>/p' "$REPORT" >"$T/alerts.html"
grep -q '2026-09-15' "$T/alerts.html" || fail "the report's alerts section does not show the 2026-09-15 spike"
for c in $(sql "SELECT cluster_id FROM alerts WHERE kind = 'cluster'"); do
    grep -q "href=\"#cluster-$c\"" "$T/alerts.html" || fail "the alert of cluster $c is not linked in the report"
done
# the live dashboard on the same database
need_chromium
command -v jq >/dev/null 2>&1 || fail "jq is missing (tools/cxflow test installs it)"
printf 'dashboard.listen = 127.0.0.1:0\ndashboard.refresh_s = 1\n' >>"$CONF"
"$BIN/cxflow-dash" -c "$CONF" 2>>"$T/run/dash.log" &
EXTRA_PIDS=$!
i=0
while [ ! -s "$T/run/dash.url" ]; do i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "the dashboard did not start"; done
URL=$(cat "$T/run/dash.url")
curl -sf "${URL%/}/api/clusters?limit=1000" >"$T/clusters.json" || fail "GET /api/clusters failed"
for cid in $PCLUSTERS; do
    [ "$(jq "[.clusters[] | select(.id == $cid)] | length" "$T/clusters.json")" = 1 ] ||
        fail "/api/clusters does not list cluster $cid"
done
curl -sf "${URL%/}/api/alerts" >"$T/alerts.json" || fail "GET /api/alerts failed"
[ "$(jq '.alerts | length' "$T/alerts.json")" = "$(sql 'SELECT count(*) FROM alerts')" ] || fail "/api/alerts differs from the alerts table"
chrome --virtual-time-budget=5000 --dump-dom "$URL" >"$T/dash.dom" || fail "chromium could not load the dashboard"
for cid in $PCLUSTERS; do grep -q "id=\"cluster-$cid\"" "$T/dash.dom" || fail "the dashboard does not show cluster $cid"; done
grep -q '<section id="alerts"' "$T/dash.dom" && grep -q 'href="#cluster-' "$T/dash.dom" || fail "the dashboard shows no linked alert"
html=$(grep -o '<html[^>]*>' "$T/dash.dom" | head -n 1)
case $html in *'data-live="ok"'*) ;; *) fail "dashboard: the live script did not complete an update: $html" ;; esac
case $html in *data-errors*) fail "dashboard: script errors: $(grep -A3 'id="dash-errors"' "$T/dash.dom")" ;; esac
mkdir -p "$BUILD/screenshots"
chrome --window-size=1280,2400 --screenshot="$BUILD/screenshots/sample-report.png" "file://$REPORT" >/dev/null ||
    fail "chromium could not take the report screenshot"
chrome --virtual-time-budget=3000 --window-size=1280,2400 --screenshot="$BUILD/screenshots/sample-dashboard.png" "$URL" \
    >/dev/null || fail "chromium could not take the dashboard screenshot"
# the top root causes (further down than a window shows): that section alone, in the page's own
# head and styles
{ sed -n '1,/<main/p' "$REPORT"; sed -n '/<section id="clusters">/,/<\/section>/p' "$REPORT"; printf '</main>\n</body>\n</html>\n'; } \
    >"$T/clusters.html"
chrome --window-size=1280,2400 --screenshot="$BUILD/screenshots/sample-clusters.png" "file://$T/clusters.html" >/dev/null ||
    fail "chromium could not take the clusters screenshot"
check_png "$BUILD/screenshots/sample-report.png" 1280 2400
check_png "$BUILD/screenshots/sample-clusters.png" 1280 2400
check_png "$BUILD/screenshots/sample-dashboard.png" 1280 2400
note "screenshots: $BUILD/screenshots/sample-{report,clusters,dashboard}.png"
echo "ok: the four planted problems are clustered and shown by the report and the dashboard, the planted spike alerted"
