#!/bin/sh
# fault/cluster_restart.sh [control] - kill -9 of the cluster stage loses and
# doubles no cluster count.
#
# The bundled multilingual sample (tools/sample/feedback.jsonl, cycled to N
# records) flows through the pipeline with cluster checkpoints every 250 ms.
# The cluster stage is killed with SIGKILL twice and restarted by the
# supervisor from its checkpoint: once alone in the middle of the stream, and
# once together with the sink, after it has written checkpoints of its own:
# the sink is frozen (SIGSTOP) for 0.8 s first, so the records the cluster
# stage releases meanwhile (a checkpoint covers them) die with the sink, and
# ingest sends them again: the restored stage must recognise them as counted.
# After a clean stop the sink must hold every record exactly once, every
# negative record must have a cluster, and the sizes in the clusters' last
# events (the clusters table) must equal the numbers of records stored with
# their ids: nothing lost, nothing counted twice.  Merges and splits move
# members between clusters without telling the sink which records moved (a
# record keeps the id it was stored with), so the sizes are compared per
# family - the clusters linked by merges (merged_into) and splits (the
# split_from of "split" events), where the sizes of the clusters that were
# not absorbed add up to the records of all of them; without merges or
# splits a family is one cluster.
#
# "control" runs the same with checkpoints off and passes only when these
# checks catch the damage of a restart without state (so the test can fail).
BIN=$1 ROOT=$2 MODE=${3:-checkpoint}
N=${CXFLOW_CLUSTER_RESTART_RECORDS:-6000}
. "$ROOT/tests/lib.sh"
if [ "$MODE" = control ]; then ckpt='""'; else ckpt=$T/state/cluster.db; fi
write_conf "ingest.ack_timeout_ms = 2000" "ingest.max_inflight = 1500" "sink.jsonl = \"\"" \
    "cluster.checkpoint = $ckpt" "cluster.checkpoint_interval_ms = 250"
start_pipeline
note "producing $N records; kill -9 of the cluster stage at a quarter, of it and the sink after half"
produce --count "$N" --max-ahead 1500 "$ROOT/tools/sample/feedback.jsonl" &
PROD=$!
wait_stored $((N / 4))
victim=$(pid_of cluster)
kill -9 "$victim"
note "killed the cluster stage (pid $victim) with $(sql 'SELECT count(*) FROM records') records stored"
wait_restarted cluster "$victim"
wait_stored $((N / 2))
# while records reach the cluster stage (and, with checkpoints, once the new process has written some)
i=0
while :; do
    a=$(metric cluster records_in_total); sleep 0.25; b=$(metric cluster records_in_total)
    w=$(metric cluster checkpoint_writes_total)
    [ "${b%.*}" -gt "${a%.*}" ] && { [ "$MODE" = control ] || [ "${w:-0}" != 0 ]; } && break
    i=$((i + 1)); [ $i -lt 120 ] || fail "no flow to kill the cluster stage in (checkpoints written: ${w:-none})"
done
b=$(sql 'SELECT count(*) FROM records')
victim=$(pid_of cluster) sink=$(pid_of sink)
kill -STOP "$sink"
sleep 0.8   # the cluster stage goes on: checkpoints, releases records the frozen sink never stores
kill -9 "$victim" "$sink"
note "killed the cluster stage (pid $victim) and the frozen sink (pid $sink) with $b records stored"
wait_restarted cluster "$victim"
wait_restarted sink "$sink"
wait $PROD || fail "producing failed"
wait_records "$N" 120
check_exactly_once "$N"
stop_pipeline   # the last events (cluster flush, last checkpoint) reach the sink

# what went wrong, one line per kind of damage (empty: nothing)
damage() {
    sql "SELECT 'negative records without a cluster: ' || count(*) FROM records
           WHERE label = 'negative' AND n_tokens > 0 AND coalesce(cluster_id, 0) = 0 HAVING count(*) > 0;
         SELECT 'records of clusters the sink never heard of: ' || count(*) FROM records
           WHERE cluster_id > 0 AND cluster_id NOT IN (SELECT cluster_id FROM clusters) HAVING count(*) > 0;
         SELECT 'cluster sizes add up to ' || (SELECT coalesce(sum(size), 0) FROM clusters WHERE status != 'merged')
                || ' without the merged ones, clustered records ' || (SELECT count(*) FROM records WHERE cluster_id > 0)
           WHERE (SELECT coalesce(sum(size), 0) FROM clusters WHERE status != 'merged')
                 != (SELECT count(*) FROM records WHERE cluster_id > 0);
         WITH RECURSIVE
           link(a, b) AS (SELECT cluster_id, merged_into FROM clusters WHERE status = 'merged' AND merged_into > 0
                          UNION SELECT cluster_id, json_extract(body, '$.split_from') FROM cluster_events
                          WHERE event = 'split' AND json_extract(body, '$.split_from') > 0),
           ids(id) AS (SELECT cluster_id FROM clusters UNION SELECT cluster_id FROM records WHERE cluster_id > 0),
           reach(id, root) AS (SELECT id, id FROM ids
                               UNION SELECT l.b, r.root FROM reach r JOIN link l ON l.a = r.id
                               UNION SELECT l.a, r.root FROM reach r JOIN link l ON l.b = r.id),
           fam(id, f) AS (SELECT id, min(root) FROM reach GROUP BY id),
           sz(f, size) AS (SELECT fam.f, sum(c.size) FROM clusters c JOIN fam ON fam.id = c.cluster_id
                           WHERE c.status != 'merged' GROUP BY fam.f),
           rc(f, n) AS (SELECT fam.f, count(*) FROM records r JOIN fam ON fam.id = r.cluster_id GROUP BY fam.f),
           m AS (SELECT f, coalesce((SELECT size FROM sz WHERE sz.f = x.f), 0) AS size,
                        coalesce((SELECT n FROM rc WHERE rc.f = x.f), 0) AS n,
                        (SELECT group_concat(id, '+') FROM fam WHERE fam.f = x.f) AS members
                 FROM (SELECT f FROM sz UNION SELECT f FROM rc) x)
         SELECT 'clusters whose size is not their number of records: ' || (SELECT count(*) FROM m WHERE size != n)
                || ' of ' || (SELECT count(*) FROM m) || ' families, e.g. (ids: size vs records) '
                || (SELECT group_concat(members || ': ' || size || ' vs ' || n, ', ')
                    FROM (SELECT * FROM m WHERE size != n LIMIT 4))
           WHERE EXISTS (SELECT 1 FROM m WHERE size != n);"
}
clustered=$(sql "SELECT count(*) FROM records WHERE cluster_id > 0")
clusters=$(sql "SELECT count(*) FROM clusters")
lineage=$(sql "SELECT (SELECT count(*) FROM clusters WHERE status = 'merged') || ' merged, '
                      || (SELECT count(DISTINCT cluster_id) FROM cluster_events
                          WHERE event = 'split' AND json_extract(body, '$.split_from') > 0) || ' split off'")
[ "$clustered" -gt $((N / 10)) ] || fail "only $clustered records were clustered"
bad=$(damage)
if [ "$MODE" = control ]; then
    [ -n "$bad" ] || fail "control run without checkpoints: the checks found nothing wrong"
    note "control (no checkpoints): the checks catch it: $(printf '%s' "$bad" | tr '\n' ';')"
    exit 0
fi
[ -z "$bad" ] || fail "$bad"
[ "$(grep -c 'restored .* live clusters' "$T/run/cluster.log")" = 2 ] || fail "the cluster stage did not restore twice"
[ "$(grep -c 'restored .* [1-9][0-9]* trend keys' "$T/run/cluster.log")" = 2 ] || fail "the trends were not restored twice"
dups=$(metric cluster records_duplicate_total)
[ "${dups%.*}" -gt 0 ] || fail "no resend of a record the cluster stage had counted before its checkpoint came back"
note "2 x kill -9 of the cluster stage (once with the sink): $N records exactly once, $clustered clustered into $clusters clusters ($lineage), every size exact; resent by ingest: $(metric ingest records_resent_total), recognised by the cluster stage as already counted: $dups; last checkpoint $(metric cluster checkpoint_bytes) bytes in $(metric cluster checkpoint_seconds) s"
