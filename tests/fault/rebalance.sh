#!/bin/sh
# fault/rebalance.sh - a second consumer joins the group in the middle of a run.
#
# Pipeline A (embedded broker, 8 partitions) consumes 20,000 records; when a
# third is stored, pipeline B (its own links and SQLite, the same broker and
# consumer group) starts.  The group rebalances: A commits what its sink has
# acknowledged, forgets the in-flight records of the revoked partitions, and
# B re-reads them from the committed offsets.  Passes when every source
# offset is stored in A or B (duplicates only across the handover), all
# offsets are committed, and A logged the revocation.
BIN=$1 ROOT=$2
N=20000
. "$ROOT/tests/lib.sh"
write_conf "kafka.partitions = 8" "ingest.ack_timeout_ms = 3000" "sink.jsonl = \"\""
start_pipeline
TB=$T/b
mkdir -p "$TB"
sed -e "s|$T/|$TB/|g" "$CONF" | grep -v '^kafka.brokers' >"$TB/test.conf"
echo "kafka.brokers = $BOOT" >>"$TB/test.conf"
produce --count "$N" --max-ahead 6000 "$ROOT/tests/data/pipeline/mixed.jsonl" &
PROD=$!
wait_stored $((N / 3))
"$BIN/cxflow-run" -c "$TB/test.conf" --no-broker >"$TB/supervisor.log" 2>&1 &
SUPB=$!
EXTRA_PIDS=$SUPB
note "pipeline B joined the group with $(sql 'SELECT count(*) FROM records') records stored by A"
wait $PROD || fail "producing failed"
wait_committed "$N" 150
kill -TERM $SUPB; wait $SUPB || true
EXTRA_PIDS=
stop_pipeline
uniq=$(sqlite3 "$T/out/cxflow.db" "ATTACH '$TB/out/cxflow.db' AS b; SELECT count(*) FROM
      (SELECT partition, \"offset\" FROM records UNION SELECT partition, \"offset\" FROM b.records)")
a=$(sql 'SELECT count(*) FROM records')
b=$(sqlite3 "$TB/out/cxflow.db" 'SELECT count(*) FROM records')
[ "$uniq" = "$N" ] || fail "A and B together stored $uniq distinct records, expected $N (A $a, B $b)"
[ "$b" -gt 0 ] || fail "pipeline B stored nothing: the group did not rebalance"
grep -q "revoked partition" "$T/run/ingest.log" || fail "A did not log a revocation"
note "rebalance: A stored $a, B stored $b, $uniq distinct = all $N; duplicates across the handover: $((a + b - uniq))"
