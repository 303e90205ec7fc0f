"""Pages of the alert subscriptions: sign up, confirm, change or unsubscribe.

Nobody browses the subscribers: each one reaches his own subscription only
through the secret link e-mailed to him, and a wrong link is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from prossima.counterfeit.models import ProductCategory, Subscription
from prossima.counterfeit.subscription_forms import ManageSubscriptionForm, SubscribeForm
from prossima.counterfeit.subscriptions import (
    do_confirm,
    do_subscribe,
    do_unsubscribe,
    do_update_subscription,
)
from prossima.incidents import ratelimit
from prossima.web.forms import add_validation_errors
from prossima.web.ratelimit import rate_limited


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _subscription_or_404(token: str) -> Subscription:
    found = Subscription.objects.filter(token=token).first() if token else None
    if found is None:
        raise Http404
    return found


def subscribe(request: HttpRequest) -> HttpResponse:
    """Sign up: the same answer whether the address was subscribed or not."""
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        ip = ratelimit.client_ip(request)
        limit = ratelimit.limit_reached(request.user, ip)
        if limit is not None:
            form.add_error(
                None,
                _("Too many requests from your connection (%(limit)s); try again later.")
                % {"limit": limit},
            )
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                do_subscribe(
                    data["email"], data["categories"], get_language() or "", _base_url(request)
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                ratelimit.count_report(request.user, ip)
                return render(
                    request, "counterfeit/subscriptions/sent.html", {"email": data["email"]}
                )
    return render(
        request, "counterfeit/subscriptions/subscribe.html", {"form": form}, status=status
    )


@never_cache
@rate_limited("subscriptions")
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm a sign-up with a button (a link checker opening the e-mail confirms nothing)."""
    found = _subscription_or_404(token)
    if request.method == "POST" and found.confirmed_at is None:
        found = do_confirm(token)
        messages.success(request, _("Your subscription is confirmed."))
        return redirect("counterfeit:subscription_manage", token=found.token)
    labels = [ProductCategory(c).label for c in found.categories if c in ProductCategory.values]
    return render(
        request,
        "counterfeit/subscriptions/confirm.html",
        {"subscription": found, "categories": labels},
    )


@never_cache
@rate_limited("subscriptions")
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """Change the categories of a subscription, or unsubscribe (the row is deleted)."""
    found = _subscription_or_404(token)
    if request.method == "POST" and "unsubscribe" in request.POST:
        do_unsubscribe(token)
        return render(request, "counterfeit/subscriptions/unsubscribed.html")
    form = ManageSubscriptionForm(request.POST or None, initial={"categories": found.categories})
    if request.method == "POST" and form.is_valid():
        try:
            do_update_subscription(token, form.cleaned_data["categories"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("counterfeit:subscription_manage", token=token)
    return render(
        request,
        "counterfeit/subscriptions/manage.html",
        {"form": form, "subscription": found},
    )
