#!/bin/sh
# Throughput of /ideas under gunicorn -w 2 against the bare Flask hello (bench/hello.py), in the
# same run: wrk -t2 -c8 for $DURATION seconds each, on 127.0.0.1 only. Anonymous requests: with
# the default PAGE_CACHE_TTL the HTML pages are served from the page cache after the first.
#   DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_bench sh bench/wrk.sh
set -eu
DURATION=${DURATION:-15}
cd "$(dirname "$0")/.."
RATELIMIT_ENABLED=0 .venv/bin/gunicorn -w 2 -b 127.0.0.1:8100 wsgi:app >/tmp/kyoso-bench-app.log 2>&1 &
APP=$!
.venv/bin/gunicorn -w 2 -b 127.0.0.1:8101 --chdir bench hello:app >/tmp/kyoso-bench-hello.log 2>&1 &
HELLO=$!
trap 'kill $APP $HELLO 2>/dev/null || true' EXIT
sleep 4
curl -fsS -o /dev/null http://127.0.0.1:8100/ideas
curl -fsS -o /dev/null http://127.0.0.1:8101/
# IDEA: an idea page to time as well (e.g. the most supported one); PAGE_CACHE_TTL=0 times the
# pages rendered for every request (what signed-in members and searches cost).
IDEA=${IDEA:-}
for url in http://127.0.0.1:8101/ http://127.0.0.1:8100/ideas http://127.0.0.1:8100/ \
           "http://127.0.0.1:8100/api/v1/ideas" ${IDEA:+"http://127.0.0.1:8100/ideas/$IDEA"}; do
  echo "== $url"
  wrk -t2 -c8 -d"${DURATION}s" "$url" | grep -E "Requests/sec|Latency|Non-2xx"
done
