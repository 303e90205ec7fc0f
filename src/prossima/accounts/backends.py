"""Log in with a username or an e-mail address."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from prossima.accounts.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Authenticate by username, or by e-mail when the input contains '@'."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username and "@" in username:
            match = User.objects.filter(email__iexact=username).first()
            if match is not None:
                username = match.get_username()
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return user if isinstance(user, User) else None


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse every login attempt of a locked-out name and address (django-axes).

    Axes refuses to work without a request; logins without one (management
    commands, the test client's ``login``) are not web logins and pass through
    to the next backend, which still checks the password.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """Return the name failed logins are counted under: the account's username if known.

    The login form takes a username or an e-mail; an e-mail that belongs to an
    account counts as that account's username, so typing one or the other does
    not double the attempts. Any other input counts as typed (e-mails in lower
    case), so an unknown name is locked exactly like a known one and the lock-out
    reveals nothing about which accounts exist.
    """
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    typed = (typed or "").strip()
    if "@" not in typed:
        return typed
    match = User.objects.filter(email__iexact=typed).first()
    return match.get_username() if match is not None else typed.lower()
