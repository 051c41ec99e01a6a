"""Security middleware: login/API-token rate limits and the response headers Django does not set itself."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from netcron.accounts import throttle

LOGIN_PATHS = ("/login/", "/admin/login/")


def _bearer(request) -> bool:
    return request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("bearer ")


class LoginThrottleMiddleware:
    """Refuses logins (429 page) and bearer-token API calls (429 JSON) from callers that failed too often.

    Failed logins are counted by the user_login_failed signal (throttle.py); rejected tokens here, from
    the API's 401 answer to a request that carried one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api_token = request.path.startswith("/api/") and _bearer(request)
        if request.method == "POST" and request.path in LOGIN_PATHS:
            refusal = throttle.login_refusal(throttle.client_ip(request), request.POST.get("username", ""))
            if refusal is not None:
                response = render(request, "accounts/login_refused.html", {"message": refusal.message}, status=429)
                response["Retry-After"] = str(refusal.retry_after)
                return response
        elif api_token:
            refusal = throttle.token_refusal(throttle.client_ip(request))
            if refusal is not None:
                response = JsonResponse({"detail": refusal.message}, status=429)
                response["Retry-After"] = str(refusal.retry_after)
                return response
        response = self.get_response(request)
        if api_token and response.status_code == 401:
            throttle.token_failed(request)
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy (NETCRON_CONTENT_SECURITY_POLICY; "off" turns it off) and Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.NETCRON_CONTENT_SECURITY_POLICY
        if policy and policy.lower() != "off":
            response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        return response
