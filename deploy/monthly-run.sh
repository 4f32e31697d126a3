#!/usr/bin/env bash
# marketlib's monthly job: fetch fresh data, report, rebuild the history. Called by cron, the
# systemd service and the scheduled CI workflow (deploy/), from the project folder.
#
#   deploy/monthly-run.sh [PARAMS.yaml] [REPORTS_DIR]
#
# 1. `marketlib fetch all --ref latest` (the newest upstream commit of every dataset). When the
#    network or the upstream fails, the run falls back to the pinned snapshot and says so on
#    its summary page (--note), with a warning on stderr.
# 2. `marketlib report` at today's date (default.yaml pins no as_of): the windows follow the
#    data (latest), and the run is compared with the newest earlier run in REPORTS_DIR.
# 3. `marketlib history REPORTS_DIR`: history.csv and index.html across every run.
# Exit status: the report's (0 ok, 1 a notebook failed, 2 unusable input); the history is
# rebuilt either way. MARKETLIB=path/to/marketlib overrides the command (default .venv).
set -uo pipefail
params="${1:-params/default.yaml}"
reports="${2:-reports}"
ml="${MARKETLIB:-.venv/bin/marketlib}"
ref=latest
note=()
if ! fetch_log=$("$ml" fetch all --ref latest 2>&1); then
  reason=$(printf '%s\n' "$fetch_log" | tail -n 1 | cut -c1-300)
  echo "monthly-run: WARNING: fresh data could not be fetched ($reason); using the pinned snapshot" >&2
  ref=pinned
  note=(--note "Fresh data could not be fetched on $(date -u +%F) ($reason); this run uses the pinned snapshot of the public data.")
fi
"$ml" report --params "$params" --out "$reports/$(date -u +%F)" --data-ref "$ref" "${note[@]}"
status=$?
"$ml" history "$reports" || echo "monthly-run: WARNING: the history could not be rebuilt" >&2
exit "$status"
