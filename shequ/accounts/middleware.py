"""Staff who passed the password step but not yet the TOTP step stay half-logged-in.

The login view stores the user id in the session under PENDING_KEY and only calls
``login()`` after the code checks out, so ``request.user`` is anonymous until then.
This middleware additionally forces staff without an enrolled second factor onto
the enrolment page before anything else.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/", "/favicon")


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.SHEQU_REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and not request.session.get("second_factor_ok")
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            from shequ.accounts.services import user_needs_second_factor

            if user_needs_second_factor(user):
                return redirect(reverse("accounts:totp_enroll"))
        return self.get_response(request)
