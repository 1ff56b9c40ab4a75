#!/bin/sh
# dash/api.sh - cxflow-dash (tools/dash) over the report fixture database
# (tests/data/report/fixture.sql) plus two spike alerts:
#  - before the database exists: / says "no database yet" and retries, the
#    API answers 503 with a JSON error, /healthz says "missing";
#  - once it is written (the same server, no restart) every route answers
#    with valid JSON whose values match the database; a record added while
#    it runs shows up at the next request;
#  - bad parameters give 400 with a JSON error, unknown paths 404, other
#    methods 405, a non-loopback Host 403; Content-Type and no-store are set;
#  - concurrent requests are all answered and the server stays up;
#  - cxflow-run starts it with the sink (dashboard.listen set) and stops it.
# Needs curl, jq and sqlite3 (TEST_PKGS in tools/cxflow).
BIN=$1 ROOT=$2
. "$ROOT/tests/lib.sh"
for t in curl jq sqlite3; do command -v $t >/dev/null 2>&1 || fail "$t is missing (tools/cxflow test installs it)"; done

DB=$T/out/cxflow.db
write_conf "dashboard.listen = 127.0.0.1:0" "dashboard.refresh_s = 2" "lexicons.dir = $ROOT/tests/data/report/lexicons"

# wait_url FILE - until the dashboard has written its URL (at most 10 s)
wait_url() {
    i=0
    while [ ! -s "$1" ]; do i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "the dashboard did not write $1"; done
    cat "$1"
}

mkdir -p "$T/run"
"$BIN/cxflow-dash" -c "$CONF" 2>>"$T/run/dash.log" &
DASH=$!
EXTRA_PIDS=$DASH
URL=$(wait_url "$T/run/dash.url"); URL=${URL%/}
case $URL in http://127.0.0.1:*) ;; *) fail "unexpected URL '$URL'" ;; esac
note "dashboard at $URL"

# get PATH [curl options] - body to $T/body, headers to $T/hdr; prints the status code
get() {
    p=$1; shift
    curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$URL$p"
}
# expect STATUS PATH [curl options] - the status, and a JSON body (an error object for 4xx/5xx)
expect() {
    want=$1; shift
    got=$(get "$@")
    [ "$got" = "$want" ] || fail "$1: HTTP $got, expected $want: $(head -c 300 "$T/body")"
    case $1 in /api/* | /healthz | /nope*)
        grep -qi '^content-type: application/json' "$T/hdr" || fail "$1: not application/json"
        jq -e . "$T/body" >/dev/null || fail "$1: body is not valid JSON: $(head -c 300 "$T/body")"
        if [ "$want" -ge 400 ]; then jq -e '.error | type == "string" and length > 0' "$T/body" >/dev/null ||
            fail "$1: no JSON error"; fi ;;
    esac
    grep -qi '^cache-control: no-store' "$T/hdr" || fail "$1: no Cache-Control: no-store"
}
j() { jq -r "$1" "$T/body"; }
sql() { sqlite3 -batch -noheader "$DB" "$1"; }

# ---- no database yet
expect 503 /
grep -q 'no database yet' "$T/body" || fail "/ without a database does not say so"
grep -q 'http-equiv="refresh"' "$T/body" || fail "/ without a database does not retry"
expect 503 /api/summary
j .error | grep -q 'no database yet' || fail "/api/summary without a database: $(cat "$T/body")"
expect 200 /healthz
[ "$(j .database)" = missing ] || fail "/healthz: $(cat "$T/body")"

# ---- the fixture, written while the server runs
mkdir -p "$T/out"
sqlite3 "$DB" <"$ROOT/tests/data/report/fixture.sql" || fail "cannot build the fixture database"
sql "CREATE TABLE alerts (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, first_ms INTEGER,
       kind TEXT NOT NULL, key TEXT NOT NULL, cluster_id INTEGER, win TEXT NOT NULL, metric TEXT NOT NULL,
       count INTEGER, baseline REAL, ratio REAL, p_value REAL, records INTEGER, neg_share REAL,
       baseline_neg_share REAL, body TEXT, stored_at INTEGER NOT NULL, UNIQUE (kind, key, win, metric, at));
     INSERT INTO alerts (at, first_ms, kind, key, cluster_id, win, metric, count, baseline, ratio, p_value,
       records, neg_share, baseline_neg_share, body, stored_at) VALUES
       (1795300000000, 1795296400000, 'theme', 'refunds.not_received', NULL, 'hour', 'volume', 9, 1.5, 6, 1e-6,
        9, 0.9, 0.3, '{}', 1795300000001),
       (1795302000000, 1795298400000, 'cluster', '11', 11, 'hour', 'sentiment', 7, 2, 3.5, 1e-4,
        8, 0.875, 0.25, '{}', 1795302000001);"

expect 200 /healthz
[ "$(j .database)" = ready ] || fail "/healthz with a database: $(cat "$T/body")"

expect 200 /api/summary
n=$(sql "SELECT count(*) FROM records")
[ "$(j .records)" = "$n" ] || fail "summary records $(j .records), database $n"
[ "$(j .negative)" = "$(sql "SELECT count(*) FROM records WHERE label = 'negative'")" ] || fail "summary negative"
[ "$(j .newest_ts)" = "$(sql "SELECT max(ts) FROM records")" ] || fail "summary newest_ts"
[ "$(j .alerts)" = 2 ] || fail "summary alerts $(j .alerts)"
[ "$(j .themes)" = "$(sql "SELECT count(DISTINCT theme) FROM record_themes")" ] || fail "summary themes"

expect 200 /api/themes
[ "$(j '.themes | length')" = "$(sql "SELECT count(DISTINCT theme) FROM record_themes")" ] || fail "themes: count"
# every theme's record count, in the API's order (most records first)
j '.themes[] | "\(.id) \(.records)"' >"$T/api_themes"
sql "SELECT theme || ' ' || count(*) FROM record_themes GROUP BY theme ORDER BY count(*) DESC, theme" >"$T/db_themes"
diff -u "$T/db_themes" "$T/api_themes" >&2 || fail "themes: counts differ from the database"
[ "$(j '.themes[] | select(.id == "refunds.not_received") | .name')" != null ] || fail "themes: no taxonomy name"
[ "$(j '.themes[0].negative')" = "$(sql "SELECT count(*) FROM record_themes rt JOIN records r USING (topic, partition, \"offset\")
    WHERE rt.theme = '$(j '.themes[0].id')' AND (CASE WHEN rt.sentiment IS NOT NULL THEN rt.sentiment <= -0.05
    ELSE r.label = 'negative' END)")" ] || fail "themes: negative count"

expect 200 /api/clusters
[ "$(j '.clusters | length')" = "$(sql "SELECT count(*) FROM clusters")" ] || fail "clusters: count"
top=$(j '.clusters[0].id')
[ "$(j '.clusters[0].records')" = "$(sql "SELECT count(*) FROM records WHERE cluster_id = $top")" ] || fail "clusters: records of #$top"
[ "$(j '.clusters[0].terms | type')" = array ] || fail "clusters: terms are not a list"
[ "$(j '.clusters[0].label')" = "$(sql "SELECT label FROM clusters WHERE cluster_id = $top")" ] || fail "clusters: label of #$top"
[ "$(sql "SELECT count(*) FROM records WHERE cluster_id > 0 GROUP BY cluster_id ORDER BY 1 DESC LIMIT 1")" = \
  "$(j '.clusters[0].records')" ] || fail "clusters: the first is not the largest"
expect 200 '/api/clusters?limit=2'
[ "$(j '.clusters | length')" = 2 ] || fail "clusters?limit=2 gave $(j '.clusters | length')"

expect 200 /api/alerts
[ "$(j '.alerts | length')" = 2 ] || fail "alerts: count"
[ "$(j '.alerts[0].key') $(j '.alerts[0].window') $(j '.alerts[0].cluster_id')" = "11 hour 11" ] ||
    fail "alerts: newest first: $(j '.alerts[0]')"
[ "$(j '.alerts[1].kind') $(j '.alerts[1].count')" = "theme 9" ] || fail "alerts: second: $(j '.alerts[1]')"

expect 200 /api/records
[ "$(j '.records | length')" = 20 ] || fail "records: default limit 20, got $(j '.records | length')"
j '.records[].id' >"$T/api_ids"
sql "SELECT id FROM records ORDER BY ts DESC, topic, partition, \"offset\" DESC LIMIT 20" >"$T/db_ids"
diff -u "$T/db_ids" "$T/api_ids" >&2 || fail "records: not the newest 20"
expect 200 '/api/records?theme=app&limit=100'
j '.records[].id' | sort >"$T/api_ids"
sql "SELECT DISTINCT r.id FROM records r JOIN record_themes rt USING (topic, partition, \"offset\")
     WHERE rt.theme = 'app' OR rt.theme LIKE 'app.%'" | sort >"$T/db_ids"
[ -s "$T/db_ids" ] || fail "the fixture has no app themes"
diff -u "$T/db_ids" "$T/api_ids" >&2 || fail "records?theme=app: not the records of app and its sub-themes"
expect 200 "/api/records?cluster=$top&limit=3"
[ "$(j '.records | length')" = 3 ] || fail "records?cluster: limit 3"
[ "$(j "[.records[] | select(.cluster_id != $top)] | length")" = 0 ] || fail "records?cluster: other clusters"
expect 200 '/api/records?theme=refunds.not_received&cluster=11&limit=100'
[ "$(j '.records | length')" = "$(sql "SELECT count(*) FROM records r JOIN record_themes rt USING (topic, partition, \"offset\")
    WHERE rt.theme = 'refunds.not_received' AND r.cluster_id = 11")" ] || fail "records?theme&cluster"
expect 200 '/api/records?limit=999999'
[ "$(j .limit)" = 200 ] || fail "records: the limit is not capped at 200: $(j .limit)"
expect 200 '/api/records?theme=no.such.theme'
[ "$(j '.records | length')" = 0 ] || fail "records of an unknown theme"
# the injection texts of the fixture come back as plain JSON strings
expect 200 '/api/records?limit=200'
j '.records[].text' | grep -q '<script>' || fail "records: the fixture's markup text is missing or altered"

# ---- the page: the report, live
expect 200 /
grep -qi '^content-type: text/html' "$T/hdr" || fail "/: not text/html"
for id in summary timeline themes clusters dash-status; do grep -q "id=\"$id\"" "$T/body" || fail "/: no #$id"; done
grep -q '<svg' "$T/body" || fail "/: no inline SVG"
grep -q '/api/summary' "$T/body" || fail "/: no live script"

# ---- the stream flows: a record added now is seen at the next request
sql "INSERT INTO records (topic, partition, \"offset\", id, ts, text, label, sentiment, cluster_id, stored_at)
     VALUES ('feedback', 0, 100000, 'live-1', 1795310000000, 'arrived while serving', 'negative', -0.5, 0, 1795310000000)"
expect 200 /api/summary
[ "$(j .records)" = $((n + 1)) ] || fail "a new record is not seen: $(j .records)"
expect 200 '/api/records?limit=1'
[ "$(j '.records[0].id')" = live-1 ] || fail "the newest record is not first"

# ---- errors
expect 400 '/api/records?limit=0'
expect 400 '/api/records?limit=abc'
expect 400 '/api/records?limit=-5'
expect 400 '/api/records?cluster=x'
expect 400 '/api/records?cluster=0'
expect 400 '/api/records?theme='
expect 400 '/api/records?bogus=1'
expect 400 '/api/themes?limit=5'
expect 400 '/api/alerts?limit=1.5'
expect 404 /nope
expect 404 /api/nope
expect 405 /api/themes -X POST -d x=1
grep -qi '^allow: GET, HEAD' "$T/hdr" || fail "405 without Allow"
expect 405 / -X DELETE
expect 403 /api/summary -H 'Host: attacker.example'
expect 403 /api/summary -H 'Host: 127.attacker.example:8088'
expect 200 /api/summary -H 'Host: 127.0.0.1:8088'
expect 200 /api/summary -H 'Host: localhost'

# ---- concurrent requests: all answered, the server stays up
i=0
while [ $i -lt 40 ]; do
    case $((i % 4)) in 0) p= ;; 1) p=api/themes ;; 2) p='api/records?limit=50' ;; 3) p=api/clusters ;; esac
    echo "$URL/$p"
    i=$((i + 1))
done >"$T/urls"
xargs -P 8 -n 1 curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 <"$T/urls" >"$T/codes" || true
[ "$(grep -c '^200$' "$T/codes")" = 40 ] || fail "concurrent requests: $(sort "$T/codes" | uniq -c | tr '\n' ' ')"
kill -0 $DASH 2>/dev/null || fail "the dashboard died under concurrent requests"
kill -TERM $DASH
wait $DASH || fail "the dashboard did not exit cleanly on SIGTERM"
EXTRA_PIDS=
[ ! -e "$T/run/dash.url" ] || fail "dash.url left behind"

# ---- the supervisor starts it with the sink and stops it
"$BIN/cxflow-run" -c "$CONF" --no-broker --stages sink >"$T/supervisor.log" 2>&1 &
SUP=$!
URL=$(wait_url "$T/run/dash.url"); URL=${URL%/}
i=0
while [ ! -s "$T/run/dash.pid" ]; do i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "no dash.pid"; done
dpid=$(cat "$T/run/dash.pid")
expect 200 /api/summary
[ "$(j .records)" = $((n + 1)) ] || fail "under the supervisor: records $(j .records)"
grep -q 'dashboard: http://127.0.0.1:0/' "$T/supervisor.log" || fail "the supervisor does not print the dashboard address"
stop_pipeline
! kill -0 "$dpid" 2>/dev/null || fail "the dashboard outlived the supervisor"
# an address that is taken (by another dashboard): not restarted, the pipeline runs on
"$BIN/cxflow-dash" -c "$CONF" 2>>"$T/run/dash.log" &
EXTRA_PIDS=$!
URL=$(wait_url "$T/run/dash.url"); URL=${URL%/}
port=${URL##*:}
write_conf "dashboard.listen = 127.0.0.1:$port" "lexicons.dir = $ROOT/tests/data/report/lexicons" "run.dir = $T/run2"
"$BIN/cxflow-run" -c "$CONF" --no-broker --stages sink >"$T/supervisor.log" 2>&1 &
SUP=$!
i=0
until grep -q 'not restarted' "$T/supervisor.log"; do i=$((i + 1)); sleep 0.1; [ $i -lt 100 ] || fail "no 'not restarted' message"; done
kill -0 "$SUP" 2>/dev/null || fail "the supervisor exited with the dashboard"
stop_pipeline
[ "$(grep -c 'started dash' "$T/supervisor.log")" = 1 ] || fail "the dashboard was restarted"
echo "dashboard_api: all checks passed"
