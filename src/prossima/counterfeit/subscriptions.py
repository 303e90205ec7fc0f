"""Consumers' e-mail subscriptions to new product-safety alerts (double opt-in).

A subscription holds an e-mail address, the product categories chosen and the
language of the e-mails; everything is done through a secret link sent to that
address, so nobody else can see or change it. Unsubscribing deletes the row.

Links are absolute: the pages pass the address the request came to, the digests
(sent by the scheduler, with no request) take ``base_url`` or else the setting
``PROSSIMA["SITE_URL"]`` (scheme and host, e.g. ``https://prossima.example``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prossima.counterfeit.models import ProductAlert, ProductCategory, Subscription

logger = logging.getLogger(__name__)

# Most alerts listed in one e-mail; the rest are counted with a link to the list
# (a first import of a Safety Gate export can add thousands at once).
MAX_ALERTS_PER_EMAIL = 50
# Sign-ups not confirmed within this many days are deleted (see purge_unconfirmed).
UNCONFIRMED_DAYS = 7


def new_token() -> str:
    """Return a new secret for a subscriber's links."""
    return secrets.token_urlsafe(32)


def _language(language: str | None) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return language if language in codes else settings.LANGUAGE_CODE


def _categories(categories: Iterable[str]) -> list[str]:
    chosen = set(categories)
    unknown = chosen - set(ProductCategory.values)
    if unknown:
        raise ValidationError(
            {"categories": _("Unknown category: %(c)s.") % {"c": ", ".join(sorted(unknown))}}
        )
    if not chosen:
        raise ValidationError({"categories": _("Choose at least one category.")})
    # In the order of the list, so that the manage page shows them as chosen.
    return [c for c in ProductCategory.values if c in chosen]


def _link(base_url: str, name: str, *args: str) -> str:
    return base_url.rstrip("/") + reverse(f"counterfeit:{name}", args=args)


def _send(subscription: Subscription, subject: str, body: str, manage_link: str) -> None:
    message = EmailMessage(
        subject,
        body,
        None,
        [subscription.email],
        headers={"List-Unsubscribe": f"<{manage_link}>"},
    )
    message.send()


def _save_sign_up(email: str, categories: list[str], language: str) -> Subscription:
    """Create the subscription, or renew an unconfirmed one; leave a confirmed one as it is."""
    with transaction.atomic():
        found = Subscription.objects.select_for_update().filter(email=email).first()
        if found is None:
            return Subscription.objects.create(
                email=email, categories=categories, language=language, token=new_token()
            )
        if found.confirmed_at is None:
            found.categories = categories
            found.language = language
            found.token = new_token()
            found.save(update_fields=["categories", "language", "token"])
        return found


def do_subscribe(email: str, categories: Iterable[str], language: str, base_url: str) -> None:
    """Sign an address up, or send the link to manage it if it is already confirmed.

    A new or unconfirmed address gets (again) a new secret and the confirmation
    link; nothing is sent before it is confirmed. A confirmed address keeps its
    categories and only gets the link to change them. The caller shows the same
    message either way, so the page does not tell who is subscribed.
    """
    email = email.strip().lower()
    chosen = _categories(categories)
    language = _language(language)
    try:
        found = _save_sign_up(email, chosen, language)
    except IntegrityError:  # the same address signed up at the same moment: once more
        found = _save_sign_up(email, chosen, language)
    manage_link = _link(base_url, "subscription_manage", found.token)
    with translation.override(found.language):
        if found.confirmed_at is None:
            subject = _("Confirm your subscription to the dangerous-product alerts")
            body = _(
                "Someone, probably you, asked to receive by e-mail the new alerts on "
                "dangerous and counterfeit products in these categories:\n\n%(categories)s\n\n"
                "Open this link to confirm:\n\n%(link)s\n\n"
                "If you did not ask for it, ignore this message: nothing will be sent, "
                "and your address will be deleted in %(days)s days."
            ) % {
                "categories": _category_lines(found.categories),
                "link": _link(base_url, "subscription_confirm", found.token),
                "days": UNCONFIRMED_DAYS,
            }
        else:
            subject = _("Your subscription to the dangerous-product alerts")
            body = _(
                "This address is already subscribed to the alerts on dangerous and "
                "counterfeit products. Open this link to change the categories or to "
                "unsubscribe:\n\n%(link)s"
            ) % {"link": manage_link}
        _send(found, subject, body, manage_link)


def _category_lines(categories: Iterable[str]) -> str:
    return "\n".join(
        f"- {ProductCategory(c).label}" for c in categories if c in ProductCategory.values
    )


def _by_token(token: str) -> Subscription:
    """Return the subscription with this secret; Subscription.DoesNotExist if none."""
    if not token:
        raise Subscription.DoesNotExist
    return Subscription.objects.get(token=token)


def do_confirm(token: str, now: dt.datetime | None = None) -> Subscription:
    """Confirm a subscription (opening the link again changes nothing)."""
    found = _by_token(token)
    if found.confirmed_at is None:
        found.confirmed_at = now or timezone.now()
        found.save(update_fields=["confirmed_at"])
    return found


def do_update_subscription(token: str, categories: Iterable[str]) -> Subscription:
    """Change the categories of a subscription."""
    found = _by_token(token)
    found.categories = _categories(categories)
    found.save(update_fields=["categories"])
    return found


def do_unsubscribe(token: str) -> None:
    """Delete a subscription: nothing about the address is kept."""
    _by_token(token).delete()


def purge_unconfirmed(now: dt.datetime | None = None) -> int:
    """Delete sign-ups never confirmed within UNCONFIRMED_DAYS; return how many."""
    limit = (now or timezone.now()) - dt.timedelta(days=UNCONFIRMED_DAYS)
    deleted, _rows = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=limit
    ).delete()
    return deleted


def _digest_body(alerts: list[ProductAlert], base_url: str, manage_link: str) -> str:
    lines = [
        _("New alerts on dangerous products in the categories you chose:"),
        "",
    ]
    for alert in alerts[:MAX_ALERTS_PER_EMAIL]:
        title = alert.product_name
        if alert.brand:
            title = f"{title} · {alert.brand}"
        lines.append(f"- {title} ({alert.get_category_display()}, {alert.number})")
        lines.append(f"  {_link(base_url, 'alert', alert.number)}")
    more = len(alerts) - MAX_ALERTS_PER_EMAIL
    if more > 0:
        lines += [
            "",
            _("… and %(n)s more: %(link)s") % {"n": more, "link": _link(base_url, "alerts")},
        ]
    lines += [
        "",
        _("To change the categories or to unsubscribe: %(link)s") % {"link": manage_link},
    ]
    return "\n".join(lines)


def site_url() -> str:
    """Return the platform's public address from the settings ("" when not set)."""
    return str(settings.PROSSIMA.get("SITE_URL") or "").rstrip("/")


def send_digests(base_url: str | None = None, now: dt.datetime | None = None) -> int:
    """E-mail each confirmed subscriber the alerts of its categories added since the last one.

    One e-mail per subscriber with new alerts, in its language; illustrative
    (demo) alerts are never sent. A failed e-mail is logged and retried on the
    next run. Links start with ``base_url``, by default ``PROSSIMA["SITE_URL"]``.
    Returns how many e-mails were sent.
    """
    base_url = base_url or site_url()
    if not base_url:
        raise ImproperlyConfigured("Set PROSSIMA_SITE_URL or pass base_url for the links.")
    now = now or timezone.now()
    subscriptions = list(Subscription.objects.filter(confirmed_at__isnull=False).order_by("pk"))
    if not subscriptions:
        return 0
    earliest = min(s.last_sent_at or s.confirmed_at or now for s in subscriptions)
    alerts = list(
        ProductAlert.objects.filter(
            created_at__gt=earliest, created_at__lte=now, is_illustrative=False
        ).order_by("-published_on", "number")
    )
    sent = 0
    quiet: list[int] = []
    for subscription in subscriptions:
        since = subscription.last_sent_at or subscription.confirmed_at or now
        chosen = set(subscription.categories)
        mine = [a for a in alerts if a.category in chosen and a.created_at > since]
        if not mine:
            quiet.append(subscription.pk)
            continue
        manage_link = _link(base_url, "subscription_manage", subscription.token)
        with translation.override(subscription.language):
            subject = _("New alerts on dangerous products (%(n)s)") % {"n": len(mine)}
            body = _digest_body(mine, base_url, manage_link)
            try:
                _send(subscription, subject, body, manage_link)
            except Exception:  # one bad address or a mail server hiccup must not stop the rest
                logger.exception("Alert digest to subscription %s not sent", subscription.pk)
                continue
        Subscription.objects.filter(pk=subscription.pk).update(last_sent_at=now)
        sent += 1
    Subscription.objects.filter(pk__in=quiet).update(last_sent_at=now)
    return sent
