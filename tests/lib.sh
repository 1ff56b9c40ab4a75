# tests/lib.sh - shared harness of the integration and fault tests (POSIX sh).
#
# Each test gets its own directory, embedded broker and ipc:// links, so tests
# can run in parallel.  Usage in a test:  BIN=$1 ROOT=$2; . "$ROOT/tests/lib.sh"
set -eu
T=$(mktemp -d /tmp/cxflow-test.XXXXXX)
CONF=$T/test.conf
SUP=
EXTRA_PIDS=   # other processes a test started (stopped by cleanup)
fail() { echo "FAIL: $*" >&2; echo "--- logs in $T ---" >&2; for f in "$T"/run/*.log "$T"/supervisor.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }; done; exit 1; }
note() { echo "test: $*" >&2; }
cleanup() {
    for p in $EXTRA_PIDS; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    if [ -n "$SUP" ]; then kill -TERM "$SUP" 2>/dev/null || true; wait "$SUP" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# write_conf [extra lines...] - a configuration for this test
write_conf() {
    cat >"$CONF" <<CONF
lexicons.dir = $ROOT/lexicons
run.dir = $T/run
sink.sqlite = $T/out/cxflow.db
sink.jsonl = $T/out/records.jsonl
dlq.file = $T/out/dead-letters.jsonl
link.tokenize = ipc://$T/tokenize.sock
link.tag = ipc://$T/tag.sock
link.cluster = ipc://$T/cluster.sock
link.sink = ipc://$T/sink.sock
link.ack = ipc://$T/ack.sock
metrics.interval_ms = 200
supervisor.max_backoff_ms = 1000
kafka.session.timeout.ms = 6000
kafka.heartbeat.interval.ms = 1000
CONF
    # extra lines replace the defaults above (a key may appear only once)
    for line in "$@"; do
        key=${line%% =*}
        grep -v "^$key = " "$CONF" >"$CONF.tmp" || true
        printf '%s\n' "$line" >>"$CONF.tmp"
        mv "$CONF.tmp" "$CONF"
    done
}

start_pipeline() {
    "$BIN/cxflow-run" -c "$CONF" "$@" >"$T/supervisor.log" 2>&1 &
    SUP=$!
    i=0
    while [ ! -s "$T/run/broker.addr" ]; do
        i=$((i + 1)); sleep 0.1
        [ $i -lt 200 ] || fail "the embedded broker did not start"
        kill -0 "$SUP" 2>/dev/null || fail "the supervisor exited"
    done
    BOOT=$(cat "$T/run/broker.addr")
    # every stage has written its pid file
    for s in ingest tokenize tag cluster sink; do
        i=0
        while [ ! -s "$T/run/$s.pid" ]; do i=$((i + 1)); sleep 0.1; [ $i -lt 200 ] || fail "$s did not start"; done
    done
}

stop_pipeline() {
    kill -TERM "$SUP"
    wait "$SUP" || true
    SUP=
}

sql() { sqlite3 -batch -noheader "$T/out/cxflow.db" "$1"; }

produce() { "$BIN/cxflow-produce" -c "$CONF" --quiet "$@"; }

wait_records() { "$BIN/cxflow-ctl" wait -c "$CONF" --records "$1" --timeout "${2:-120}" 2>/dev/null || fail "only $(sql 'SELECT count(*) FROM records') of $1 records reached the sink"; }

# wait_stored N - until at least N records are in the sink (at most 120 s)
wait_stored() {
    i=0
    while [ "$(sql 'SELECT count(*) FROM records' 2>/dev/null || echo 0)" -lt "$1" ]; do
        i=$((i + 1)); sleep 0.1; [ $i -lt 1200 ] || fail "the pipeline did not get going"
    done
}

# wait_committed N SECONDS - until the consumer group has committed N offsets
# of the input topic in all (every message, valid or dead-lettered)
wait_committed() {
    i=0
    while :; do
        c=$("$BIN/kafka_probe" "$BOOT" committed feedback cxflow)
        [ "${c%% *}" = "committed=$1" ] && return 0
        i=$((i + 1)); sleep 0.2; [ $i -lt $(($2 * 5)) ] || fail "offsets not all committed: $c"
    done
}

pid_of() { cat "$T/run/$1.pid"; }

# wait_restarted STAGE OLD_PID - until the supervisor has started STAGE again (at most 30 s)
wait_restarted() {
    i=0
    while :; do
        p=$(cat "$T/run/$1.pid" 2>/dev/null || echo "$2")
        [ "$p" != "$2" ] && kill -0 "$p" 2>/dev/null && return 0
        i=$((i + 1)); sleep 0.1; [ $i -lt 300 ] || fail "$1 was not restarted"
    done
}

metric() { sed -n "s/^cxflow_$2{[^}]*} //p" "$T/run/metrics/$1.prom" 2>/dev/null | tail -n 1; }

# every offset of every partition of the input is in the sink exactly once
check_exactly_once() {
    want=$1
    got=$(sql "SELECT count(*) FROM records")
    [ "$got" = "$want" ] || fail "sink holds $got records, expected $want"
    gaps=$(sql "SELECT count(*) FROM (SELECT partition, max(\"offset\") + 1 - count(*) AS gap FROM records GROUP BY partition) WHERE gap != 0")
    [ "$gaps" = 0 ] || fail "a partition has missing offsets"
}

# alerts_fixture FILE - the spike fixture of integration/alerts.sh: 25 records
# one event-time minute apart two hours ago, then 15 complaints about one
# thing within 30 s starting at $BURST (set here, ms)
alerts_fixture() {
    NOW=$(date +%s)
    T0=$(( (NOW - 7200) / 60 * 60 * 1000 ))    # two hours ago, on a minute
    i=0
    while [ $i -lt 25 ]; do
        case $((i % 3)) in
            0) text="The delivery arrived on time and the driver was friendly." ;;
            1) text="Good prices, I will order again." ;;
            *) text="The website is easy to use." ;;
        esac
        printf '{"id":"bg-%02d","timestamp":%s,"text":"%s","nps":%d}\n' $i $((T0 + i * 60000)) "$text" $((7 + i % 4)) >>"$1"
        i=$((i + 1))
    done
    BURST=$((T0 + 25 * 60000 + 5000))
    i=0
    while [ $i -lt 15 ]; do
        printf '{"id":"sp-%02d","timestamp":%s,"text":"I was charged twice for my order and nobody refunds the double charge. Terrible.","nps":0}\n' \
            $i $((BURST + i * 2000)) >>"$1"
        i=$((i + 1))
    done
}

# wait_alerts_fixture - until the 40 records of alerts_fixture are stored and
# the overall stream's alert has reached the sink (10 s after them at most)
wait_alerts_fixture() {
    wait_records 40 60
    i=0
    while [ "$(sql "SELECT count(*) FROM alerts WHERE kind = 'overall'" 2>/dev/null || echo 0)" -lt 1 ]; do
        i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "no overall alert reached the sink: $(sql 'SELECT count(*) FROM alerts')"
    done
}

# need_chromium - Debian's chromium, installed when missing (as root; `tools/cxflow test` installs
# it too, from TEST_PKGS)
need_chromium() {
    command -v chromium >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] || fail "chromium is missing: apt-get install -y chromium"
    note "installing Debian's chromium"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium; } >"$T/apt.log" 2>&1 ||
        { tail -n 5 "$T/apt.log" >&2; fail "cannot install chromium"; }
}

# chrome ARGS... - one headless Chromium run (Debian's chromium) with this test's own profile;
# its noise (D-Bus, GPU) goes to $T/chrome.log.  --no-sandbox: the tests run as root, where
# Chromium's sandbox refuses to start.
chrome() {
    timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
        --disable-extensions --disable-background-networking --user-data-dir="$T/chrome" "$@" 2>>"$T/chrome.log"
}

# check_png FILE WIDTH HEIGHT - a PNG of that size with some content
check_png() {
    [ -s "$1" ] || fail "screenshot $1 is missing or empty"
    [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$1 is not a PNG"
    w=$(od -An -tu1 -j16 -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
    h=$(od -An -tu1 -j20 -N4 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
    [ "$w" = "$2" ] && [ "$h" = "$3" ] || fail "$1 is ${w}x$h, expected $2x$3"
    [ "$(wc -c <"$1")" -gt 20000 ] || fail "$1 is suspiciously small (a blank page?)"
}

