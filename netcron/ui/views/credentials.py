"""Credentials: list (which secrets are set, never their values), create, edit, delete.

Secrets are write-only as in the API: a blank field keeps the stored value, a checkbox removes it."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from netcron.inventory.models import Credential
from netcron.ui.forms.inventory import SECRET_LABELS, CredentialForm
from netcron.ui.views.common import INVENTORY_READ, INVENTORY_WRITE, delete_with_confirmation, needs


@needs(INVENTORY_READ)
def credential_list(request):
    credentials = Credential.objects.annotate(device_count=Count("devices")).order_by("name")
    rows = [(c, stored_secrets(c)) for c in credentials]
    return render(request, "ui/credentials/list.html", {
        "rows": rows, "can_write": request.user.has_perm(INVENTORY_WRITE),
    })


def stored_secrets(credential: Credential) -> list[str]:
    """Labels of the secrets a credential holds (decrypted once, never shown)."""
    flags = credential.secret_flags()
    return [SECRET_LABELS[name] for name in Credential.SECRET_FIELDS if flags[f"has_{name}"]]


def _form_page(request, form: CredentialForm, credential: Credential | None = None):
    return render(request, "ui/credentials/form.html", {"form": form, "credential": credential},
                  status=422 if form.is_bound else 200)


@needs(INVENTORY_WRITE)
def credential_new(request):
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and (credential := form.save(request.user)):
        messages.success(request, f"Credential “{credential.name}” created.")
        return redirect("ui:credential-list")
    return _form_page(request, form)


@needs(INVENTORY_WRITE)
def credential_edit(request, pk: int):
    credential = get_object_or_404(Credential, pk=pk)
    form = CredentialForm(request.POST or None, instance=credential)
    if request.method == "POST" and (saved := form.save(request.user)):
        messages.success(request, f"Credential “{saved.name}” saved.")
        return redirect("ui:credential-list")
    return _form_page(request, form, credential)


@needs(INVENTORY_WRITE)
def credential_delete(request, pk: int):
    credential = get_object_or_404(Credential, pk=pk)
    return delete_with_confirmation(
        request, credential, kind="credential", done_url="ui:credential-list", cancel_url=reverse("ui:credential-list"),
        consequence=f"{credential.devices.count()} device(s) use it and will have no credential; templates and "
                    "schedules that override with it fall back to each device's own.")
