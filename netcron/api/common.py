"""Helpers shared by the routers: pagination, multi-value filters, object lookup."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from ninja import Schema
from ninja.errors import HttpError

MAX_PAGE_SIZE = 500


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
    items = list(queryset[start:start + page_size])
    return {"count": queryset.count(), "page": page, "page_size": page_size,
            "items": [serialize(item) for item in items]}


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
        return [int(v) for v in values]
    except ValueError:
        raise HttpError(422, f"{name}: expected comma-separated numbers") from None


def get_or_404(queryset: QuerySet | type[Model], pk: int, label: str):
    qs = queryset.objects.all() if isinstance(queryset, type) else queryset
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise HttpError(404, f"{label} {pk} not found")
    return obj


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None
