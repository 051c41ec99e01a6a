"""Sets the acting user for the audit log around each request (session users; token users are read
from the request once the API has authenticated them)."""

from __future__ import annotations

from netcron.audit import context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with context.use(context.for_request(request)):
            return self.get_response(request)
