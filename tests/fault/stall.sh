#!/bin/sh
# fault/stall.sh - a frozen sink gives bounded memory and no group eviction.
#
# SIGSTOP the sink for longer than max.poll.interval.ms (lowered to 10 s)
# while records keep coming: the links fill up to their high-water marks,
# ingest pauses its partitions at ingest.max_inflight and keeps polling, so
# it is not evicted from the group (no partition is revoked) and its memory
# stays flat.  After SIGCONT every record arrives, exactly once.
BIN=$1 ROOT=$2
. "$ROOT/tests/lib.sh"
write_conf "ingest.max_inflight = 3000" "link.hwm = 200" "kafka.max.poll.interval.ms = 10000" \
    "ingest.ack_timeout_ms = 4000" "sink.jsonl = \"\""
start_pipeline
produce --count 1000 "$ROOT/tests/data/pipeline/mixed.jsonl"
wait_records 1000 60
sink=$(pid_of sink)
kill -STOP "$sink"
note "sink frozen (pid $sink); producing 15,000 more records"
produce --count 15000 "$ROOT/tests/data/pipeline/mixed.jsonl" &
PROD=$!
i=0
while [ "$(metric ingest paused)" != 1 ]; do
    i=$((i + 1)); sleep 0.1; [ $i -lt 300 ] || { kill -CONT "$sink"; fail "ingest did not pause"; }
done
note "ingest paused with $(metric ingest inflight) records in flight"
sleep 13   # longer than max.poll.interval.ms
inflight=$(metric ingest inflight)
rss=$(metric ingest peak_rss_bytes)
kill -CONT "$sink"
[ "${inflight%.*}" -le 4000 ] || fail "ingest holds $inflight records in flight (limit 3000 + one poll batch)"
[ "$(metric ingest partitions_revoked_total)" = 0 ] || fail "partitions were revoked: ingest was evicted from the group"
[ "${rss%.*}" -lt 209715200 ] || fail "ingest grew to $rss bytes"
wait $PROD || fail "producing failed"
wait_records 16000 180
check_exactly_once 16000
i=0
while [ "$(metric ingest paused)" != 0 ]; do i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "ingest did not resume"; done
stop_pipeline
note "stalled sink: paused at $inflight in flight, peak RSS of ingest $((${rss%.*} / 1048576)) MB, no revocation, 16,000 records exactly once"
