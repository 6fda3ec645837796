#!/usr/bin/env bash
# Back up the PostgreSQL database (and the uploaded files) of the platform.
#
#   ops/backup.sh [DIR]
#
# Reads DATABASE_URL (postgres://…) and MEDIA_ROOT (default: <project>/media) from the
# environment. Writes into DIR (default: ./backups):
#   jingsai-<time>.dump         pg_dump custom format (compressed; restore with ops/restore.sh)
#   jingsai-<time>.counts.json  row counts of every table, for the restore's smoke checks
#   jingsai-<time>.media.tar.gz the uploaded files, when MEDIA_ROOT exists
# The counts are taken right after the dump: on a database in use they can differ by the
# writes made meanwhile; then restore with --no-counts.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "ops/backup.sh backs up PostgreSQL only (DATABASE_URL=${DATABASE_URL%%:*}://…)" >&2; exit 2 ;;
esac
dir=${1:-backups}
mkdir -p "$dir"
stamp=$(date +%Y%m%d-%H%M%S)
base="$dir/jingsai-$stamp"
python=${PYTHON:-.venv/bin/python}

pg_dump --format=custom --no-owner --no-privileges --file "$base.dump.part" "$DATABASE_URL"
mv "$base.dump.part" "$base.dump"
ENV_FILE=${ENV_FILE:-/dev/null} DEBUG=${DEBUG:-1} \
  "$python" manage.py smoke_check --counts-only --counts-out "$base.counts.json" >/dev/null
media=${MEDIA_ROOT:-media}
if [ -d "$media" ]; then
  tar -czf "$base.media.tar.gz" -C "$media" .
fi
ls -l "$base".*
echo "backup written: $base.dump"
