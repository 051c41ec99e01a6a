"""Turn source and monitoring failures into the runner's job errors (one clear line, no secret)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from netcron.executors.base import JobFailed, RetryableJobError
from netcron.sources.http import AuthError, HttpError, SourceError, TransportError


@contextmanager
def as_job_errors() -> Iterator[None]:
    """Auth and client errors fail the run; outages (transport, 5xx after retries, busy) may be retried."""
    try:
        yield
    except AuthError as exc:
        raise JobFailed(f"{exc} (check the credential and its permissions)") from None
    except TransportError as exc:
        raise RetryableJobError(str(exc)) from None
    except HttpError as exc:
        if exc.status >= 500 or exc.status in (423, 429):  # 423: CheckMK is busy activating
            raise RetryableJobError(str(exc)) from None
        raise JobFailed(str(exc)) from None
    except SourceError as exc:
        raise JobFailed(str(exc)) from None
