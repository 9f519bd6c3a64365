# The API image: `leder serve` as a non-root user, migrating the database to head on start.
# Production settings come from the environment (LEDER_SECRET_KEY and LEDER_DATABASE_URL at least).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /srv/leder
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
# Editable install: the migrations stay beside the package at /srv/leder, where the code finds them.
RUN /opt/venv/bin/pip install --no-cache-dir -e .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 leder \
    && useradd --system --uid 10001 --gid leder --create-home --home-dir /home/leder leder
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/leder /srv/leder
WORKDIR /srv/leder
RUN mkdir -p /srv/leder/data && chown 10001:10001 /srv/leder/data
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LEDER_ENVIRONMENT=production \
    LEDER_DATA_DIR=/srv/leder/data
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2).status != 200)"]
CMD ["leder", "serve", "--host", "0.0.0.0", "--port", "8000"]
