"""Exit 0 if the PostgreSQL URL given answers within a few seconds, 1 otherwise."""

import sys

import psycopg
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1])
try:
    psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
        connect_timeout=3,
    ).close()
except psycopg.Error:
    sys.exit(1)
