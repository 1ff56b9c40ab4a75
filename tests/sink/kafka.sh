#!/bin/sh
# sink/kafka.sh - the sink's Kafka output (docs/SINKS.md "Kafka").
#
# The whole pipeline on the embedded broker with the three output topics set,
# fed the spike fixture of integration/alerts.sh (40 records, cluster events
# and alerts).  Checks, reading the topics back from the same broker: every
# stored record is on the records topic, keyed topic/partition/offset with its
# JSON as value, and there are as many distinct keys as stored records; every
# cluster event SQLite holds is on the events topic keyed by its cluster id;
# every stored alert is on the alerts topic keyed kind/key; and the two topics
# hold nothing else.
#
# "unreachable": the output's broker is a closed port.  Every batch then fails
# on its delivery reports: the error is logged, SQLite stores nothing and no
# offset is committed.  The sink restarted with the right broker takes all
# records, and every one of them is on the records topic.
#
# "toolarge": sink.kafka.max_message_bytes = 1000 and the first 200 records of
# the bundled sample, some of whose enriched records are larger: those are skipped with an error line,
# every record is still stored and committed, and no batch fails (a message
# that can never be delivered must not stall its partition).
BIN=$1 ROOT=$2 MODE=${3:-}
. "$ROOT/tests/lib.sh"
conf() {
    write_conf "kafka.partitions = 1" "ingest.ack_timeout_ms = 3000" "sink.kafka.records_topic = cx.records" \
               "sink.kafka.events_topic = cx.events" "sink.kafka.alerts_topic = cx.alerts" "$@"
}
# dump TOPIC - the topic's messages as a JSON array in $T/TOPIC.json (kafka_probe dump)
dump() { "$BIN/kafka_probe" "$BOOT" dump "$1" >"$T/$1.json" || fail "cannot read topic $1"; }
# the records topic: distinct keys, and stored records missing from it or with another id there
check_records() {
    dump cx.records
    J="json_each(readfile('$T/cx.records.json'))"
    keys=$(sql "SELECT count(DISTINCT json_extract(value, '\$.key')) FROM $J")
    [ "$keys" = "$1" ] || fail "the records topic holds $keys distinct keys, SQLite $1 records"
    missing=$(sql "SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM $J j
                   WHERE json_extract(j.value, '\$.key') = r.topic || '/' || r.partition || '/' || r.\"offset\"
                   AND json_extract(j.value, '\$.value.id') = r.id AND json_extract(j.value, '\$.value.text') = r.text)")
    [ "$missing" = 0 ] || fail "$missing stored records are not on the records topic under their key"
}
DATA=$T/alerts.jsonl
alerts_fixture "$DATA"

if [ "$MODE" = unreachable ]; then
    conf "sink.kafka.brokers = 127.0.0.1:1" "sink.kafka.timeout_ms = 500"
    start_pipeline
    produce "$DATA"
    i=0
    while [ "$(metric sink output_failures_total)" = "" ] || [ "$(metric sink output_failures_total)" -lt 2 ]; do
        i=$((i + 1)); sleep 0.1; [ $i -lt 600 ] || fail "no failed batch of the Kafka output: '$(metric sink output_failures_total)'"
    done
    # a failed report, or (on a slow machine) none within the wait
    grep -Eq 'output kafka: (delivery to cx\.[a-z]+ failed: |[0-9]+ messages without a delivery report).*not acknowledged' \
        "$T/run/sink.log" ||
        fail "the delivery failure is not logged: $(grep 'output kafka' "$T/run/sink.log" | head -n 3)"
    [ "$(sql 'SELECT count(*) FROM records')" = 0 ] || fail "SQLite stored records of batches the Kafka output failed"
    c=$("$BIN/kafka_probe" "$BOOT" committed feedback cxflow)
    [ "${c%% *}" = committed=0 ] || fail "offsets of unacknowledged records were committed: $c"
    note "while the output's broker is unreachable: $(metric sink output_failures_total) failed batches, nothing stored"
    # the right broker (the pipeline's): the restarted sink takes everything
    conf
    victim=$(pid_of sink)
    kill -9 "$victim"
    wait_restarted sink "$victim"
    wait_records 40 90
    wait_committed 40 60
    check_records 40
    stop_pipeline
    note "kafka unreachable test passed"
    exit 0
fi

if [ "$MODE" = toolarge ]; then
    # records larger than the output's message limit: skipped with an error line, never a stall
    conf "sink.kafka.max_message_bytes = 1000"
    start_pipeline
    head -n 200 "$ROOT/tools/sample/feedback.jsonl" >"$T/sample200.jsonl"   # enriched: 370 to 2,700 bytes
    produce "$T/sample200.jsonl"
    wait_records 200 90
    wait_committed 200 60
    # over the limit for sure (the value alone), and at most (librdkafka also counts the key and
    # its per-message overhead against message.max.bytes)
    big=$(LC_ALL=C awk 'length($0) > 1000' "$T/out/records.jsonl" | grep -c . || true)
    near=$(LC_ALL=C awk 'length($0) > 850' "$T/out/records.jsonl" | grep -c . || true)
    [ "$big" -ge 1 ] || fail "no enriched record over 1000 bytes: the test would prove nothing"
    dump cx.records
    J="json_each(readfile('$T/cx.records.json'))"
    n=$(sql "SELECT count(*) FROM $J")
    [ "$n" -le $((200 - big)) ] && [ "$n" -ge $((200 - near)) ] ||
        fail "the records topic holds $n records; $big of 200 are over the limit, $near near it"
    [ "$(sql "SELECT max(length(CAST(json_extract(value, '\$.value') AS BLOB))) FROM $J")" -le 1000 ] ||
        fail "a message over the limit reached the topic"
    skipped=$(grep -c 'not accepted by cx.records: .*skipped' "$T/run/sink.log" || true)
    [ "$skipped" -ge $((200 - n)) ] || fail "$((200 - n)) records missing from the topic but $skipped skips logged"
    [ "$(metric sink output_failures_total)" = 0 ] || fail "a batch failed over a message that can never be delivered"
    stop_pipeline
    note "Kafka output, 1000-byte limit: 200 records stored and committed, $n on the topic, $skipped skipped with an error line"
    exit 0
fi

conf
start_pipeline
produce "$DATA"
wait_alerts_fixture
# what SQLite holds now was produced before it was stored (outputs commit first)
ev_seq=$(sql "SELECT max(seq) FROM cluster_events WHERE event NOT LIKE 'alert.%'")
al_seq=$(sql "SELECT max(seq) FROM alerts")
[ -n "$ev_seq" ] && [ -n "$al_seq" ] || fail "no cluster events or no alerts in SQLite"
check_records 40
[ "$(sql "SELECT count(*) FROM json_each(readfile('$T/cx.records.json'))")" -ge 40 ] || fail "records missing"

dump cx.events
J="json_each(readfile('$T/cx.events.json'))"
missing=$(sql "SELECT count(*) FROM cluster_events c WHERE seq <= $ev_seq AND event NOT LIKE 'alert.%' AND NOT EXISTS
               (SELECT 1 FROM $J j WHERE json_extract(j.value, '\$.key') = CAST(c.cluster_id AS TEXT)
                AND json_extract(j.value, '\$.value.cluster_id') = c.cluster_id
                AND json_extract(j.value, '\$.value.event') = c.event
                AND json_extract(j.value, '\$.value.seq') IS json_extract(c.body, '\$.seq'))")
[ "$missing" = 0 ] || fail "$missing cluster events SQLite holds are not on the events topic under their cluster id"
wrong=$(sql "SELECT count(*) FROM $J WHERE json_extract(value, '\$.value.type') != 'cluster'
             OR json_extract(value, '\$.key') != CAST(json_extract(value, '\$.value.cluster_id') AS TEXT)")
[ "$wrong" = 0 ] || fail "$wrong messages on the events topic are not cluster events keyed by their cluster id"
nev=$(sql "SELECT count(*) FROM $J")

dump cx.alerts
J="json_each(readfile('$T/cx.alerts.json'))"
missing=$(sql "SELECT count(*) FROM alerts a WHERE seq <= $al_seq AND NOT EXISTS
               (SELECT 1 FROM $J j WHERE json_extract(j.value, '\$.key') = a.kind || '/' || a.key
                AND json_extract(j.value, '\$.value.window') = a.win AND json_extract(j.value, '\$.value.metric') = a.metric
                AND json_extract(j.value, '\$.value.at_ms') = a.at)")
[ "$missing" = 0 ] || fail "$missing stored alerts are not on the alerts topic under kind/key"
wrong=$(sql "SELECT count(*) FROM $J WHERE json_extract(value, '\$.value.type') != 'alert'
             OR json_extract(value, '\$.key') != json_extract(value, '\$.value.kind') || '/' || json_extract(value, '\$.value.key')")
[ "$wrong" = 0 ] || fail "$wrong messages on the alerts topic are not alerts keyed kind/key"
nal=$(sql "SELECT count(*) FROM $J")
note "Kafka output: 40 records, $nev cluster events, $nal alerts (SQLite: $(sql 'SELECT count(*) FROM alerts'))"
stop_pipeline
note "kafka output test passed"
