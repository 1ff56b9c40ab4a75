#!/bin/sh
# integration/alerts.sh - a spike alert goes from the cluster stage to the
# sink's alerts table (docs/TRENDS.md).
#
# 25 records one event-time minute apart (the history the minute window
# needs: at least 15 whole minutes), then 15 complaints about the same thing
# within 30 seconds.  Event times lie in the past (the stage takes a time
# more than 5 minutes ahead of its clock as its clock), so the stream is
# processed in seconds while its windows see 26 minutes.  Checks: every
# record is stored; the overall stream raised a minute volume alert within
# the minute of the burst, stored in alerts with its numbers and in
# cluster_events as "alert.spike"; the complaints' cluster and theme alerted
# too; the cluster stage counted its alerts (alerts_total).
#
# "checkpoint" runs the same with cluster checkpoints on: the alerts then wait
# with the cluster events for a checkpoint that holds the trend state.  After
# the checks the cluster stage is killed with SIGKILL; the restarted one must
# restore the trends with their alerts (nothing fires again) and the sink must
# still hold each alert once (the replayed ones are recognised).
BIN=$1 ROOT=$2 MODE=${3:-}
. "$ROOT/tests/lib.sh"
if [ "$MODE" = checkpoint ]; then
    write_conf "kafka.partitions = 1" "cluster.checkpoint = $T/state/cluster.db" "cluster.checkpoint_interval_ms = 200"
else
    write_conf "kafka.partitions = 1"
fi
start_pipeline

DATA=$T/alerts.jsonl
alerts_fixture "$DATA"
produce "$DATA"
wait_alerts_fixture
note "alerts: $(sql "SELECT group_concat(kind || ':' || key || ':' || win || ':' || metric || ':' || count, ' ') FROM alerts")"
[ "$(sql "SELECT count(*) FROM alerts WHERE kind = 'overall' AND key = 'all' AND win = 'minute' AND metric = 'volume'
          AND at >= $BURST AND at < $BURST + 60000 AND count >= 5 AND p_value <= 0.000001 AND ratio >= 3
          AND baseline BETWEEN 0.5 AND 1.5 AND first_ms < at")" = 1 ] ||
    fail "no minute volume alert of the overall stream within the burst's minute: $(sql 'SELECT body FROM alerts')"
[ "$(sql "SELECT count(*) FROM cluster_events WHERE event = 'alert.spike'")" -ge 1 ] || fail "alerts missing from cluster_events"
[ "$(sql "SELECT count(*) FROM alerts WHERE json_extract(body, '$.trend.nps.n') >= 1")" -ge 1 ] ||
    fail "the alert's trend object has no NPS: $(sql 'SELECT body FROM alerts LIMIT 1')"
# the complaints form one cluster, which is new: it alerts as an emerging cluster
cid=$(sql "SELECT cluster_id FROM records WHERE id LIKE 'sp-%' AND cluster_id > 0 GROUP BY cluster_id ORDER BY count(*) DESC LIMIT 1")
[ -n "$cid" ] || fail "the complaints were not clustered: $(sql "SELECT id, label, cluster_id FROM records WHERE id LIKE 'sp-%'")"
[ "$(sql "SELECT count(*) FROM alerts WHERE kind = 'cluster' AND cluster_id = $cid AND key = '$cid'")" -ge 1 ] ||
    fail "no alert for cluster $cid"
[ "$(sql "SELECT count(*) FROM alerts WHERE kind = 'theme'")" -ge 1 ] || fail "no theme alert"
[ "$(sql 'SELECT count(*) FROM records')" = 40 ] || fail "records missing"
i=0
while [ "$(metric cluster alerts_total)" = "" ] || [ "$(metric cluster alerts_total)" -lt 3 ]; do
    i=$((i + 1)); sleep 0.1; [ $i -lt 50 ] || fail "metric alerts_total is '$(metric cluster alerts_total)'"
done
if [ "$MODE" = checkpoint ]; then
    [ "$(metric cluster checkpoint_writes_total)" != 0 ] || fail "no checkpoint written"
    alerts=$(sql 'SELECT count(*) FROM alerts') fired=$(metric cluster alerts_total)
    sleep 0.5   # a checkpoint after the last alert went out
    victim=$(pid_of cluster)
    kill -9 "$victim"
    wait_restarted cluster "$victim"
    i=0
    while ! grep -q 'restored .* trend keys' "$T/run/cluster.log"; do
        i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "the cluster stage did not restore its state"
    done
    grep 'restored .* trend keys (40 records, '"$fired"' alerts)' "$T/run/cluster.log" >/dev/null ||
        fail "trends not restored with 40 records and $fired alerts: $(grep restored "$T/run/cluster.log")"
    sleep 1     # the replayed events reach the sink
    [ "$(sql 'SELECT count(*) FROM alerts')" = "$alerts" ] ||
        fail "the sink holds $(sql 'SELECT count(*) FROM alerts') alerts after the restart, $alerts before"
    note "checkpoints: $fired alerts restored with the trends after kill -9, $alerts stored once"
fi
stop_pipeline
note "alerts test passed"
