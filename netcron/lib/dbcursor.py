"""A database cursor for the hottest statements: prepared once per session on PostgreSQL.

Django binds parameters on the client with psycopg 3 (the ORM's SQL is not always preparable), so
PostgreSQL parses, analyses and plans every statement anew: for the runner's claim and finish, the
two statements every run executes, that was about 40 % of the database's CPU per run. A cursor that
binds on the server lets psycopg prepare a statement after it has run a few times on a connection
(`prepare_threshold`, 5 by default); then only the parameters travel and the plan is reused.

`health_check=False` skips Django's health check (a `SELECT 1` before the first statement after each
task or request, with CONN_HEALTH_CHECKS): for a first statement whose caller retries it on a fresh
connection when the session turns out dead (the runner's claim); once it has succeeded the session
counts as checked.

Only for fixed SQL that netcron writes itself, with plain parameters. Elsewhere, and with
NETCRON_DATABASE_PREPARED_STATEMENTS=false (a connection pooler in transaction mode that does not
keep prepared statements apart, such as PgBouncer before 1.21), the ordinary cursor is used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connection


@contextlib.contextmanager
def prepared_cursor(*, health_check: bool = True) -> Iterator:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What connection.cursor() does, with a server-binding cursor on the same session.
    if health_check:
        connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = (ServerBindingCursor(connection.connection) if settings.NETCRON_DATABASE_PREPARED_STATEMENTS
               else connection.create_cursor())
        cursor = connection._prepare_cursor(raw)
    with cursor:
        yield cursor
    connection.health_check_done = True
