#!/bin/sh
# generate.sh — writes the small sample inputs of the example specs
# (examples/logs.yaml, json.yaml, branches.yaml) into this folder:
#
#   logs/2026-11-0{1,2,3}.log   a web front's access logs of three days, a line per request:
#       TIME HOST METHOD PATH STATUS MILLISECONDS   (separated by one space)
#   events.jsonl   JSON lines: {"time", "user": {"id", "country"}, "event",
#                  "bytes" (not on logins), "ms"}
#
# The same bytes every time, with any awk (mawk, gawk, busybox): the random
# numbers are a Park-Miller generator written out here, exact in doubles.
# The files are committed; run this again only to change them:
#   sh examples/data/generate.sh
set -eu
cd "$(dirname "$0")"
mkdir -p logs

for day in 1 2 3; do
  awk -v day="$day" 'BEGIN {
    seed = 1000 + day * 7919
    n = split("/ /login /logout /api/orders /api/orders/list /api/cart /api/items " \
              "/api/search /api/users /api/pay /static/app.js /static/app.css " \
              "/img/logo.png /health /api/stock /api/reviews /api/ship /admin " \
              "/feed.xml /robots.txt", path, " ")
    split("GET GET GET POST PUT DELETE", method, " ")
    split("500 502 503 504", fail, " ")
    split("200 200 200 200 200 200 301 304 404", ok, " ")
    t = 36000 + day * 13
    for (i = 0; i < 90; i++) {
      t += 1 + int(rnd() * 20)
      # a few paths fail often, most rarely: path p fails with 1/(p+2)
      p = 1 + int(rnd() * rnd() * n)
      status = rnd() < 1 / (p + 2) ? fail[1 + int(rnd() * 4)] : ok[1 + int(rnd() * 9)]
      ms = rnd() < 0.1 ? 1000 + int(rnd() * 3000) : 2 + int(rnd() * 400)
      printf "2026-11-%02dT%02d:%02d:%02d web-%d %s %s %s %d\n", day, int(t / 3600), int(t / 60) % 60,
             t % 60, 1 + int(rnd() * 4), method[1 + int(rnd() * 6)], path[p], status, ms
    }
  }
  function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
  ' > "logs/2026-11-0$day.log"
done

awk 'BEGIN {
  seed = 4242
  split("FR DE JP BR US IN NG CA", country, " ")
  split("download download download upload view view login", event, " ")
  t = 40000
  for (i = 0; i < 120; i++) {
    t += 1 + int(rnd() * 30)
    c = country[1 + int(rnd() * rnd() * 8)]
    e = event[1 + int(rnd() * 7)]
    printf "{\"time\": \"2026-11-02T%02d:%02d:%02d\", \"user\": {\"id\": \"u%03d\", " \
           "\"country\": \"%s\"}, \"event\": \"%s\"", int(t / 3600), int(t / 60) % 60, t % 60,
           1 + int(rnd() * 60), c, e
    if (e != "login")
      printf ", \"bytes\": %d", e == "view" ? 200 + int(rnd() * 5000) : 1000 + int(rnd() * 900000)
    printf ", \"ms\": %d.%d}\n", int(rnd() * 300), int(rnd() * 10)
  }
}
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
' > events.jsonl
