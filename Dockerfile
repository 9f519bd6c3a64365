# The API image: `leder serve` (or `leder worker`, `leder migrate`) as a non-root user.
# Production settings come from the environment (LEDER_SECRET_KEY and LEDER_DATABASE_URL at least).
# Dependencies install from requirements.lock (every file hash-checked); the base image is pinned by
# digest so a rebuild gets the same system. Update both on purpose, never by accident.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
# The service itself as a wheel, not editable, without dependencies (all came from the lock above;
# the build backend is pinned in pyproject.toml).
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps .

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 leder \
    && useradd --system --uid 10001 --gid leder --create-home --home-dir /home/leder leder
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/leder
# The installed package finds alembic.ini and migrations/ in its working directory.
COPY alembic.ini ./
COPY migrations ./migrations
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
