"""Forms for registration and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from prossima.accounts.models import Role, User


class LoginForm(AuthenticationForm):
    """Log in with username or e-mail address."""

    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResetRequestForm(PasswordResetForm):
    """Ask for a password-reset link, in the platform's words."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RegistrationForm(forms.Form):
    """Create a citizen account."""

    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)
    privacy = forms.BooleanField(
        label=_("I have read how my data is used (see the About page)."), required=True
    )

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        # Erased accounts are renamed deleted-<id> and shown as "a deleted account".
        if username.lower().startswith("deleted-"):
            raise forms.ValidationError(_("Usernames starting with “deleted-” are reserved."))
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken; choose another."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ApiTokenForm(forms.Form):
    """Name a new API token."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, e.g. 'GIS desktop'."),
    )


class AddMemberForm(forms.Form):
    """Give an existing user a role in an organisation."""

    email = forms.EmailField(
        label=_("E-mail address of the person"),
        help_text=_("The person must have registered on Prossima first."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if not User.objects.filter(email__iexact=email, is_active=True).exists():
            raise forms.ValidationError(
                _("No active account uses this address. Ask the person to register first.")
            )
        return email
