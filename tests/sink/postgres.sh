#!/bin/sh
# sink/postgres.sh - the PostgreSQL output (sink.postgres) against a real,
# throwaway PostgreSQL server (Debian's packages, unix socket only).
#
# Runs the whole pipeline on the mixed-language fixtures with the output on,
# then checks: the schema and its tables were created on the first start;
# PostgreSQL holds exactly what SQLite holds (records, themes, clusters,
# examples, events, alerts, dead letters); a second pipeline on a fresh
# broker and a fresh SQLite database delivers the same records under the
# same coordinates again and PostgreSQL still holds each once (the second
# start also runs against the existing schema); with the server stopped the
# sink refuses its batches and acknowledges nothing, and once the server is
# back it reconnects and stores the records that were sent again; a schema
# marked with a newer version is refused at start-up.
# Exits 77 (skipped) only when the PostgreSQL server binaries are absent.
BIN=$1 ROOT=$2
PGBIN=
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] && PGBIN=$d; done
if [ -z "$PGBIN" ]; then
    echo "test: PostgreSQL server binaries not found (Debian package postgresql): skipped" >&2
    exit 77
fi
. "$ROOT/tests/lib.sh"

# PostgreSQL refuses to run as root: then the server runs as the package's
# postgres user, in a directory of its own outside $T (which only root can enter).
PGT=$(mktemp -d /tmp/cxflow-pg.XXXXXX)
PGPORT=5432   # names the socket file in $PGT only: no TCP port is opened
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGT"
pg_start() {
    as_pg "$PGBIN/pg_ctl" -D "$PGT/data" -l "$PGT/server.log" -w -t 60 \
        -o "-k $PGT -p $PGPORT -c listen_addresses='' -c fsync=off" start >/dev/null ||
        { cat "$PGT/server.log" >&2; fail "PostgreSQL did not start"; }
}
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PGT/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'cleanup; pg_stop; rm -rf "$PGT"' EXIT
as_pg "$PGBIN/initdb" -D "$PGT/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$PGT/initdb.log" 2>&1 ||
    { cat "$PGT/initdb.log" >&2; fail "initdb failed"; }
pg_start

psql_() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGT" -p "$PGPORT" -U postgres -d postgres -c "$1"; }
# the same query on both stores must give the same rows
same() {
    a=$(sql "$1") || fail "sqlite: $1"
    b=$(psql_ "SET search_path TO cxflow; $1") || fail "psql: $1"
    [ "$a" = "$b" ] || fail "PostgreSQL and SQLite differ on: $1
--- SQLite:
$a
--- PostgreSQL:
$b"
}

[ "$(psql_ "SELECT count(*) FROM pg_namespace WHERE nspname = 'cxflow'")" = 0 ] || fail "the schema exists before the first start"
# one partition: the clustering is deterministic and a fresh broker gives the records the same offsets again
write_conf "kafka.partitions = 1" "ingest.ack_timeout_ms = 2000" \
    "sink.postgres = \"host=$PGT port=$PGPORT dbname=postgres user=postgres\""
start_pipeline
FIX=$ROOT/tests/data/pipeline/mixed.jsonl
PII=$ROOT/tests/data/pipeline/pii.jsonl
produce "$FIX" "$PII"
wait_records 40 60
stop_pipeline   # the last batch is committed everywhere: the stores can be compared

for t in meta records record_themes clusters cluster_examples cluster_events alerts dead_letters; do
    [ "$(psql_ "SELECT count(*) FROM pg_tables WHERE schemaname = 'cxflow' AND tablename = '$t'")" = 1 ] ||
        fail "table cxflow.$t was not created"
done
[ "$(psql_ "SELECT value FROM cxflow.meta WHERE key = 'schema_version'")" = 1 ] || fail "no schema_version in cxflow.meta"
[ "$(psql_ "SELECT count(*) FROM cxflow.records")" = 40 ] || fail "PostgreSQL holds $(psql_ "SELECT count(*) FROM cxflow.records") records, expected 40"
same "SELECT topic || '|' || partition || '|' || \"offset\" || '|' || id || '|' || ts || '|' || lang || '|' || label
      || '|' || cluster_id || '|' || coalesce(signals, '') || '|' || tokens || '|' || text FROM records ORDER BY \"offset\""
same "SELECT \"offset\" || '|' || CAST(round(sentiment * 1000) AS INTEGER) || '|' || CAST(round(lang_conf * 1000) AS INTEGER)
      || '|' || coalesce(score_kind, '') FROM records ORDER BY \"offset\""
same "SELECT count(*) FROM record_themes"
same "SELECT \"offset\" || '|' || theme FROM record_themes ORDER BY \"offset\", theme"
same "SELECT cluster_id || '|' || label || '|' || size || '|' || status FROM clusters ORDER BY cluster_id"
same "SELECT cluster_id || '|' || rank || '|' || record_id FROM cluster_examples ORDER BY cluster_id, rank"
same "SELECT cluster_id || '|' || event FROM cluster_events ORDER BY seq"
same "SELECT count(*) FROM alerts"
same "SELECT count(*) FROM dead_letters"
[ "$(sql 'SELECT count(*) FROM clusters')" -ge 1 ] || fail "no clusters: the comparison proves little"
[ "$(sql 'SELECT count(*) FROM record_themes')" -ge 10 ] || fail "too few themes: the comparison proves little"
# JSON columns are jsonb: they can be queried
[ "$(psql_ "SELECT count(*) FROM cxflow.clusters WHERE jsonb_typeof(themes) = 'array' AND jsonb_typeof(langs) = 'object'")" = \
  "$(sql 'SELECT count(*) FROM clusters')" ] || fail "clusters.themes or langs are not JSON"
[ "$(psql_ "SELECT count(*) FROM cxflow.records WHERE jsonb_typeof(meta) = 'object'")" = \
  "$(sql 'SELECT count(*) FROM records WHERE meta IS NOT NULL')" ] || fail "records.meta is not the JSON SQLite holds"
events=$(psql_ "SELECT count(*) FROM cxflow.cluster_events")
clusters=$(psql_ "SELECT cluster_id || '|' || size || '|' || status FROM cxflow.clusters ORDER BY 1")
note "first run: 40 records, $(psql_ "SELECT count(*) FROM cxflow.record_themes") themes, $events events in PostgreSQL"

# Second run: a fresh broker and a fresh SQLite database.  The same records get
# the same topic, partition and offset again, and SQLite, not having them,
# hands every one to the output: PostgreSQL must keep one of each.
mv "$T/out/cxflow.db" "$T/out/first.db"
rm -f "$T/out/cxflow.db-wal" "$T/out/cxflow.db-shm" "$T/run/broker.addr" "$T/run/"*.pid
start_pipeline
produce "$FIX" "$PII"
wait_records 40 60
stop_pipeline
[ "$(psql_ "SELECT count(*) FROM cxflow.records")" = 40 ] ||
    fail "records stored twice: PostgreSQL holds $(psql_ "SELECT count(*) FROM cxflow.records"), expected 40"
same "SELECT topic || '|' || partition || '|' || \"offset\" || '|' || id FROM records ORDER BY \"offset\""
same "SELECT count(*) FROM record_themes"
[ "$(psql_ "SELECT cluster_id || '|' || size || '|' || status FROM cxflow.clusters ORDER BY 1")" = "$clusters" ] ||
    fail "the clusters changed on the replay"
# the event log is the one table without a natural key: the replay's events are logged again
[ "$(psql_ "SELECT count(*) FROM cxflow.cluster_events")" -gt "$events" ] || fail "the second run logged no events"
[ "$(psql_ "SELECT count(*) FROM cxflow.meta")" = 1 ] || fail "meta has more than the schema_version row"

# Third run: the server goes away while the pipeline runs.  Nothing may be
# acknowledged (SQLite stays without the records); after the server is back the
# sink reconnects and the records sent again are stored in both.  Another
# topic gives these records new coordinates.
rm -f "$T/run/broker.addr" "$T/run/"*.pid
write_conf "kafka.partitions = 1" "ingest.ack_timeout_ms = 2000" "kafka.topic = feedback.b" \
    "sink.postgres = \"host=$PGT port=$PGPORT dbname=postgres user=postgres\""
start_pipeline
produce "$FIX"
wait_records 76 60
pg_stop
produce "$PII"
# the sink notices at its next batch: BEGIN fails on the dead connection, the reset too
i=0
until grep -q "PostgreSQL server still unreachable (host $PGT port $PGPORT db postgres): connection to server" "$T/run/sink.log"; do
    i=$((i + 1)); sleep 0.1; [ $i -lt 300 ] || fail "the sink did not report that PostgreSQL is gone"
done
[ "$(sql 'SELECT count(*) FROM records')" = 76 ] || fail "records were stored in SQLite while PostgreSQL was down"
pg_start
wait_records 80 60
stop_pipeline
grep -q "reconnected to PostgreSQL" "$T/run/sink.log" || fail "no reconnection in the sink's log"
[ "$(psql_ "SELECT count(*) FROM cxflow.records")" = 80 ] ||
    fail "PostgreSQL holds $(psql_ "SELECT count(*) FROM cxflow.records") records after the outage, expected 80"
same "SELECT topic || '|' || partition || '|' || \"offset\" || '|' || id FROM records ORDER BY topic, \"offset\""

# A schema written by a newer cxflow is refused at start-up with one clear line, not written into.
psql_ "UPDATE cxflow.meta SET value = '99' WHERE key = 'schema_version'" >/dev/null
if "$BIN/cxflow-sink" -c "$CONF" >"$T/newer.log" 2>&1; then fail "the sink started on a newer schema"; fi
grep -q "has version 99, newer than this sink's" "$T/newer.log" || fail "unclear refusal of a newer schema: $(cat "$T/newer.log")"
note "postgres test passed"
