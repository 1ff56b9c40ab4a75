#!/bin/sh
# sink/no_sqlite.sh - sinks are chosen in the configuration, SQLite included
# (docs/SINKS.md "Outputs and the batch protocol").
#
# 1. sink.sqlite = '' with the JSON-lines file as the only sink: the pipeline
#    runs, every record of the mixed fixture is in the file once, the
#    consumer group commits every offset (acknowledged without SQLite), and
#    no database file appears.
# 2. No sink at all: the sink stage refuses to start with one clear line.
BIN=$1 ROOT=$2
. "$ROOT/tests/lib.sh"
write_conf "kafka.partitions = 1" "sink.sqlite = "
start_pipeline
produce "$ROOT/tests/data/pipeline/mixed.jsonl"
wait_records 36 60
wait_committed 36 60
lines=$(grep -c . "$T/out/records.jsonl")
[ "$lines" = 36 ] || fail "records.jsonl holds $lines lines for 36 records"
[ ! -e "$T/out/cxflow.db" ] || fail "a database was written with sink.sqlite off"
grep -q 'SQLite off, outputs: jsonl' "$T/run/sink.log" || fail "the sink did not say it runs without SQLite"
stop_pipeline
note "without SQLite: 36 records in records.jsonl, every offset committed"

write_conf "sink.sqlite = " "sink.jsonl = "
if "$BIN/cxflow-sink" -c "$CONF" >"$T/nosink.log" 2>&1; then fail "the sink started with no sink configured"; fi
grep -q 'no sink configured' "$T/nosink.log" || fail "unclear refusal: $(cat "$T/nosink.log")"
note "no sink: $(grep -o 'no sink configured.*' "$T/nosink.log")"
echo "ok: SQLite is optional, and a configuration without any sink is refused"
