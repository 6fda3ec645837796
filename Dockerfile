# Production image: gunicorn serves the app, WhiteNoise serves the collected static files.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first so code changes do not reinstall them.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# Unprivileged runtime user; the code stays root-owned and read-only for it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin app

COPY . .

# Static files are built into the image; the settings below apply to this step only.
# /app/media (uploads) and /app/beat (beat schedule) are the only places the app user
# writes; named volumes mounted there inherit this ownership when first created.
RUN SECRET_KEY=build-only DEBUG=0 STATIC_MANIFEST=1 \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/media /app/beat \
    && chown app:app /app/media /app/beat \
    && chmod 0755 /app/docker/entrypoint.sh

ENV MEDIA_ROOT=/app/media

USER app
EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
