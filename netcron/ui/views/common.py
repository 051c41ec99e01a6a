"""Permission checks shared by the pages: the same rules as the API, expressed for HTML."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url

from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, JOBS_READ, JOBS_WRITE

__all__ = ["INVENTORY_READ", "INVENTORY_WRITE", "JOBS_READ", "JOBS_WRITE", "delete_with_confirmation", "login_only",
           "needs", "visible_or_404", "writable_or_404"]


def needs(perm: str | None) -> Callable:
    """Anonymous visitors go to the login page; logged-in users without `perm` get a 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.headers.get("HX-Request"):
                    # A poll after the session ended: reload the whole page at the login form rather
                    # than swapping the login page into a fragment.
                    return HttpResponse(status=204, headers={"HX-Redirect": resolve_url(settings.LOGIN_URL)})
                return redirect_to_login(request.get_full_path())
            if perm and not request.user.has_perm(perm):
                raise PermissionDenied(f"permission {perm.replace('.', ':')} required")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


login_only = needs(None)


def visible_or_404(queryset, user, pk: int):
    """The object if `user` may see it; 404 otherwise, so private objects do not reveal they exist."""
    obj = queryset.visible_to(user).filter(pk=pk).first()
    if obj is None:
        raise Http404("not found")
    return obj


def writable_or_404(queryset, user, pk: int):
    """As the API: jobs:write, visible, and private objects only by their owner (or a superuser)."""
    if not user.has_perm(JOBS_WRITE):
        raise PermissionDenied("permission jobs:write required")
    obj = visible_or_404(queryset, user, pk)
    if not obj.is_global and not user.is_superuser and obj.owner_id != user.pk:
        raise PermissionDenied("only the owner can change a private object")
    return obj


def can_write(user, obj=None) -> bool:
    """Whether to show buttons that change `obj` (the POST views check again)."""
    if not user.has_perm(JOBS_WRITE):
        return False
    return obj is None or obj.is_global or user.is_superuser or obj.owner_id == user.pk


def delete_with_confirmation(request: HttpRequest, obj, *, kind: str, done_url: str, cancel_url: str,
                             consequence: str, kept: str = "") -> HttpResponse:
    """GET: the confirmation page saying what deleting `obj` means; POST: delete it (audited) and go to `done_url`."""
    if request.method == "POST":
        name = obj.name
        obj.delete()
        messages.success(request, f"{kind[:1].upper()}{kind[1:]} “{name}” deleted{'; ' + kept if kept else ''}.")
        return redirect(done_url)
    return render(request, "ui/confirm_delete.html", {
        "object": obj, "kind": kind, "cancel_url": cancel_url, "consequence": consequence})

