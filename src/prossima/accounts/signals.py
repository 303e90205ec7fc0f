"""Record logins in the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent


@receiver(user_logged_in)
def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Append a login event for the user."""
    do_record_audit(
        user,
        AuditEvent.Action.LOGIN,
        "accounts.user",
        user.pk,
        user.get_username(),
        request=request,
    )
