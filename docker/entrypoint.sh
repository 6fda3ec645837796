#!/bin/sh
# Container entrypoint: optionally apply migrations, then run the given command.
set -eu

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    python manage.py migrate --no-input
fi

exec "$@"
