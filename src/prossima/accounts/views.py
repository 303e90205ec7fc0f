"""Login, registration, profile, API tokens and organisation pages."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prossima.accounts import actions, queries
from prossima.accounts.forms import (
    AddMemberForm,
    ApiTokenForm,
    LoginForm,
    RegistrationForm,
    ResetRequestForm,
)
from prossima.accounts.models import AuditEvent, Membership, Organisation, Role, User
from prossima.accounts.permissions import memberships_of
from prossima.web.ratelimit import rate_limited


@method_decorator(rate_limited("login", anonymous="LOGIN_RATE", user="LOGIN_RATE"), "dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; other sessions of the account end, this one stays."""

    template_name = "accounts/password_change.html"

    def get_success_url(self) -> str:
        return reverse("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        actions.do_record_password_change(self.request.user, "change", request=self.request)
        messages.success(self.request, _("Your password is changed."))
        return response


@method_decorator(
    rate_limited("password_reset", anonymous="FORM_RATE_ANONYMOUS", user="FORM_RATE_USER"),
    "dispatch",
)
class PasswordResetView(auth_views.PasswordResetView):
    """Send a reset link; the answer is the same whether the address has an account."""

    template_name = "accounts/password_reset.html"
    form_class = ResetRequestForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def get_success_url(self) -> str:
        return reverse("accounts:password_reset_sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the e-mailed link (valid for PASSWORD_RESET_TIMEOUT)."""

    template_name = "accounts/password_reset_confirm.html"

    def get_success_url(self) -> str:
        return reverse("accounts:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever proved they own the e-mail address may log in at once: the failed
        # attempts that locked the name (perhaps someone else's guesses) are forgotten.
        axes_reset(username=form.user.get_username())
        actions.do_record_password_change(form.user, "reset", request=self.request)
        messages.success(self.request, _("Your password is set. You can log in now."))
        return response


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """Explain a login lock-out (django-axes' lock-out page) with 429 and ``Retry-After``.

    The page is the same whether the name belongs to an account or not.
    """
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "accounts/locked_out.html",
        {"failures": int(settings.AXES_FAILURE_LIMIT), "minutes": max(1, seconds // 60)},
        status=429,
    )
    # Every refused attempt starts the cool-off again (axes' default), so the wait
    # is the whole cool-off.
    response["Retry-After"] = str(seconds)
    return response


@rate_limited("signup", anonymous="SIGNUP_RATE", user="SIGNUP_RATE")
def register(request: HttpRequest) -> HttpResponse:
    """Create a citizen account and send the e-mail verification link."""
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = actions.do_register_user(
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            language=get_language() or "",
        )
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = request.build_absolute_uri(reverse("accounts:verify", args=[uid, token]))
        send_mail(
            _("Confirm your Prossima account"),
            _("Open this link to confirm your e-mail address and activate your account:\n\n%s")
            % link,
            None,
            [user.email],
        )
        return render(request, "accounts/registered.html", {"email": user.email})
    return render(request, "accounts/register.html", {"form": form})


def verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Activate the account whose verification link was opened."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/verify_failed.html", status=400)
    actions.do_verify_email(user)
    messages.success(request, _("Your e-mail address is confirmed. You can log in now."))
    return redirect("accounts:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show the user's organisations, roles and API tokens."""
    user = request.user
    assert isinstance(user, User)
    new_token = request.session.pop("new_api_token", None)
    return render(
        request,
        "accounts/profile.html",
        {
            "memberships": memberships_of(user),
            "tokens": queries.tokens_of(user),
            "token_form": ApiTokenForm(),
            "new_token": new_token,
        },
    )


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """Issue an API token; its secret is shown once on the profile page."""
    form = ApiTokenForm(request.POST)
    assert isinstance(request.user, User)
    if form.is_valid():
        _token, raw = actions.do_issue_api_token(request.user, form.cleaned_data["name"])
        request.session["new_api_token"] = raw
    else:
        messages.error(request, _("Give the token a name of at most 100 characters."))
    return redirect("accounts:profile")


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's API tokens."""
    assert isinstance(request.user, User)
    token = get_object_or_404(queries.tokens_of(request.user), pk=pk)
    actions.do_revoke_api_token(request.user, token)
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:profile")


def organisations(request: HttpRequest) -> HttpResponse:
    """List the organisations on the platform."""
    return render(
        request,
        "accounts/organisations.html",
        {"organisations": queries.organisations_for_directory()},
    )


def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    """Show an organisation; members and audit log only to those allowed."""
    org = get_object_or_404(Organisation.objects.select_related("comune", "parent"), slug=slug)
    can_see_members = request.user.has_perm("accounts.view_membership", org)
    can_manage = request.user.has_perm("accounts.change_membership", org)
    form = AddMemberForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            member = User.objects.get(email__iexact=form.cleaned_data["email"])
            actions.do_add_membership(request.user, org, member, form.cleaned_data["role"])
            messages.success(
                request,
                _("%(person)s now has the role %(role)s.")
                % {"person": member, "role": Role(form.cleaned_data["role"]).label},
            )
            return redirect("accounts:organisation", slug=org.slug)
    return render(
        request,
        "accounts/organisation.html",
        {
            "organisation": org,
            "members": queries.members_of(org) if can_see_members else None,
            "can_manage": can_manage,
            "form": form,
            "can_see_audit": request.user.has_perm("accounts.view_auditevent", org),
            "children": org.children.all(),
        },
    )


@login_required
@require_POST
def remove_member(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Remove one role of one member (managers of the organisation only)."""
    membership = get_object_or_404(
        Membership.objects.select_related("organisation", "user"),
        pk=pk,
        organisation__slug=slug,
    )
    actions.do_remove_membership(request.user, membership)
    messages.success(request, _("The role was removed."))
    return redirect("accounts:organisation", slug=slug)


@login_required
def organisation_audit(request: HttpRequest, slug: str) -> HttpResponse:
    """Show an organisation's audit log to its administrators; the reading is audited too."""
    org = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm("accounts.view_auditevent", org):
        raise PermissionDenied
    actions.do_record_audit(
        request.user,
        AuditEvent.Action.VIEW,
        "accounts.auditevent",
        "",
        org.name,
        organisation=org,
        request=request,
    )
    return render(
        request,
        "accounts/audit.html",
        {"organisation": org, "events": queries.audit_events_for(org)},
    )
