# Shared by the HTTP benchmarks (source it): load with `hey` (Debian), closed loop, DUR and CONC.
# Needs W (a work folder whose *.log files are shown when a server does not start).

# hey's figures for one URL: "<req/s> <p50 ms> <p99 ms> <non-2xx responses and errors>".
run() {
  local out rps p50 p99 bad
  out=$(hey -z "$DUR" -c "$CONC" "$@" 2>&1)
  rps=$(sed -n 's/^ *Requests\/sec:[[:space:]]*//p' <<<"$out")
  p50=$(awk '/ 50% in /{print $3*1000}' <<<"$out")
  p99=$(awk '/ 99% in /{print $3*1000}' <<<"$out")
  # Non-2xx responses, and requests that got no response at all (hey's "Error distribution").
  bad=$(awk '/Status code distribution/{f=1;e=0;next} /Error distribution/{e=1;f=0;next}
             f && /\[/{gsub(/[\[\]]/,"",$1); if ($1 !~ /^2/) s+=$2}
             e && /\[/{gsub(/[\[\]]/,"",$1); s+=$1} END{print s+0}' <<<"$out")
  echo "${rps:-0} ${p50:-0} ${p99:-0} $bad"
}

# Waits until URL answers (further arguments go to curl).
up() {
  for _ in $(seq 300); do curl -sf "${@:2}" "$1" >/dev/null && return 0; sleep 0.2; done
  echo "server at $1 did not start"; tail "$W"/*.log; exit 1
}

# Three requests first, so caches are warm on both sides.
warm() { for _ in 1 2 3; do curl -sf "$@" >/dev/null || true; done; }
