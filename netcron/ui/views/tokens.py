"""The user's API tokens: create (the value is shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from netcron.accounts.models import ApiToken
from netcron.ui.views.common import login_only

SESSION_KEY = "ui:new-token"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, initial="default", help_text="Where you use it, e.g. “ansible on bastion”")
    expires_in_days = forms.IntegerField(required=False, min_value=1, max_value=3650, label="Expires after (days)",
                                         help_text="Empty: never")


@login_only
def token_list(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        expires = timezone.now() + timedelta(days=days) if days else None
        token, raw = ApiToken.issue(request.user, name=form.cleaned_data["name"], expires_at=expires)
        # Shown on the next page only, then forgotten: reloading never shows it again.
        request.session[SESSION_KEY] = {"id": token.pk, "raw": raw}
        return redirect("ui:token-list")
    new = request.session.pop(SESSION_KEY, None)
    return render(request, "ui/tokens/list.html", {
        "form": form, "new_token": new, "now": timezone.now(),
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
    }, status=422 if form.is_bound else 200)


@require_POST
@login_only
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoke()
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked.")
    return redirect("ui:token-list")
