"""Global vs private objects: private ones are invisible (404) to everyone but owner and superusers."""

from __future__ import annotations

from ninja.errors import HttpError

from netcron.api.auth import JOBS_READ, JOBS_WRITE, require, require_owner_or_global, user_of


def visible(request, source, pk: int, label: str):
    """The object if the user may see it; 404 otherwise (never 403, which would leak existence).

    `source` is a model class or one of its (Owned)QuerySets.
    """
    require(request, JOBS_READ)
    queryset = source.objects.all() if isinstance(source, type) else source
    obj = queryset.visible_to(user_of(request)).filter(pk=pk).first()
    if obj is None:
        raise HttpError(404, f"{label} {pk} not found")
    return obj


def writable(request, source, pk: int, label: str):
    require(request, JOBS_WRITE)
    obj = visible(request, source, pk, label)
    require_owner_or_global(request, obj)
    return obj
