#!/usr/bin/env bash
# Restore a backup of ops/backup.sh into a NEW PostgreSQL database and smoke-check it.
#
#   ops/restore.sh [--no-counts] [--media DIR] DUMP TARGET_DATABASE_URL
#
# TARGET_DATABASE_URL (postgres://user@host:port/name) names a database that must not exist
# yet: it is created, the dump restored in one transaction (any error aborts it and leaves
# the new database empty), then `manage.py smoke_check` runs on it: migrations applied, row
# counts equal to the backup's (<dump>.counts.json, unless --no-counts), the main pages and
# API lists open for each role, every certificate verifiable. With --media DIR the uploaded
# files of <dump>.media.tar.gz are extracted into DIR (which must be empty or absent).
# Point the application at the restored database only when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."

counts=1
media_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --no-counts) counts=0; shift ;;
    --media) media_dir=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
dump=$1
target=$2
[ -f "$dump" ] || { echo "no such dump: $dump" >&2; exit 2; }
case "$target" in
  postgres://*/*|postgresql://*/*) ;;
  *) echo "the target must be a postgres:// URL with a database name" >&2; exit 2 ;;
esac
name=${target##*/}
name=${name%%\?*}
maintenance="${target%/*}/postgres"
python=${PYTHON:-.venv/bin/python}

exists=$(psql "$maintenance" -Atc "SELECT 1 FROM pg_database WHERE datname = '${name//\'/}'")
if [ "$exists" = 1 ]; then
  echo "database $name exists already; restore into a new database" >&2
  exit 3
fi
psql "$maintenance" -qc "CREATE DATABASE \"$name\""
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname "$target" "$dump"
echo "restored $dump into $name"

if [ -n "$media_dir" ]; then
  archive="${dump%.dump}.media.tar.gz"
  if [ -f "$archive" ]; then
    mkdir -p "$media_dir"
    [ -z "$(ls -A "$media_dir")" ] || { echo "$media_dir is not empty" >&2; exit 3; }
    tar -xzf "$archive" -C "$media_dir"
    echo "uploaded files extracted into $media_dir"
  fi
fi

check=(manage.py smoke_check)
if [ "$counts" = 1 ]; then
  check+=(--expect-counts "${dump%.dump}.counts.json")
fi
ENV_FILE=${ENV_FILE:-/dev/null} DEBUG=${DEBUG:-1} DATABASE_URL="$target" \
  "$python" "${check[@]}"
