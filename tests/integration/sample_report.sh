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
#     section shows it, linked to the alerting cluster's entry.
BIN=$1 ROOT=$2
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
echo "ok: the four planted problems are clustered and reported, the planted spike alerted"
