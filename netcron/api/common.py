"""Helpers shared by the routers: pagination, multi-value filters, object lookup."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Model, QuerySet
from ninja import Schema
from ninja.errors import HttpError

MAX_PAGE_SIZE = 500
MAX_ID = 2**63 - 1


class Page(Schema):
    count: int
    page: int
    page_size: int
    items: list[Any]


def paginate(queryset: QuerySet, page: int, page_size: int, serialize) -> dict:
    if page < 1:
        raise HttpError(422, "page: must be 1 or more")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise HttpError(422, f"page_size: must be between 1 and {MAX_PAGE_SIZE}")
    start = (page - 1) * page_size
    count = queryset.count()
    # Past the end: no query, so a huge page number cannot overflow the database's OFFSET.
    items = list(queryset[start:start + page_size]) if start < count else []
    return {"count": count, "page": page, "page_size": page_size, "items": [serialize(item) for item in items]}


def split_values(name: str, raw: str | None, allowed: list[str] | None = None) -> list[str]:
    """`a,b,c` → ['a','b','c'], rejecting values outside `allowed` with a 422 naming the filter."""
    if raw is None or raw.strip() == "":
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if allowed is not None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise HttpError(422, f"{name}: unknown value(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    return values


def split_ints(name: str, raw: str | None) -> list[int]:
    values = split_values(name, raw)
    try:
        return [checked_id(name, int(v)) for v in values]
    except ValueError:
        raise HttpError(422, f"{name}: expected comma-separated numbers") from None


def checked_id(name: str, value: int) -> int:
    """An id used in a filter, within the database's 64-bit range (beyond it SQLite raises OverflowError)."""
    if not -MAX_ID <= value <= MAX_ID:
        raise HttpError(422, f"{name}: {value} is out of range")
    return value


def get_or_404(queryset: QuerySet | type[Model], pk: int, label: str):
    qs = queryset.objects.all() if isinstance(queryset, type) else queryset
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise HttpError(404, f"{label} {pk} not found")
    return obj


def aware(value: datetime | None) -> datetime | None:
    """Naive datetimes from clients are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None
