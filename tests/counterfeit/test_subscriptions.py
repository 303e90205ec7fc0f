"""E-mail subscriptions to the alerts: double opt-in, digests, manage link, rate limit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLResolver, include, path, reverse
from django.utils import timezone, translation

from prossima.config import urls as project_urls
from prossima.counterfeit import urls as counterfeit_urls
from prossima.counterfeit.models import AlertSource, ProductAlert, ProductCategory, Subscription
from prossima.counterfeit.subscription_urls import subscription_urlpatterns
from prossima.counterfeit.subscriptions import (
    do_confirm,
    do_subscribe,
    purge_unconfirmed,
    send_digests,
)

BASE = "https://prossima.example"

# Until counterfeit/urls.py includes subscription_urlpatterns, the tests add them.
_counterfeit = list(counterfeit_urls.urlpatterns)
if not any(getattr(p, "name", None) == "subscribe" for p in _counterfeit):
    _counterfeit += subscription_urlpatterns
urlpatterns = [
    path("counterfeit/", include((_counterfeit, "counterfeit")))
    if isinstance(p, URLResolver) and p.app_name == "counterfeit"
    else p
    for p in project_urls.urlpatterns
]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _setup(db: Any) -> None:
    """Start every test with no rate-limit counts."""
    cache.clear()


def _alert(number: str, category: str = ProductCategory.TOYS, **extra: Any) -> ProductAlert:
    return ProductAlert.objects.create(
        number=number,
        source=AlertSource.LOCAL,
        published_on=dt.date(2026, 3, 1),
        notifying_country="Italia",
        product_name=f"Product {number}",
        category=category,
        risk_level="serious",
        description="Small parts.",
        **extra,
    )


def _sign_up(client: Client, email: str = "anna@example.org", **extra: Any) -> Any:
    data = {"email": email, "categories": [ProductCategory.TOYS], "consent": "on", **extra}
    return client.post(reverse("counterfeit:subscribe"), data)


def _link(body: str, name: str) -> str:
    found = re.search(rf"https?://\S+/counterfeit/subscribe/{name}/[^/\s]+/", body)
    assert found, body
    return urlsplit(found.group(0)).path


def _confirmed(
    email: str = "anna@example.org", categories: Any = None, language: str = "en"
) -> Any:
    do_subscribe(email, categories or [ProductCategory.TOYS], language, BASE)
    found = Subscription.objects.get(email=email)
    do_confirm(found.token, now=timezone.now() - dt.timedelta(minutes=1))
    mail.outbox.clear()
    return Subscription.objects.get(pk=found.pk)


def test_sign_up_sends_one_confirmation_and_nothing_before_it(client: Client) -> None:
    _alert("L/1")
    response = _sign_up(client)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.org"]
    assert "/counterfeit/subscribe/confirm/" in message.body
    found = Subscription.objects.get(email="anna@example.org")
    assert found.confirmed_at is None
    assert found.categories == ["toys"]
    assert len(found.token) >= 40
    _alert("L/2")
    assert send_digests(BASE) == 0
    assert len(mail.outbox) == 1


def test_consent_and_a_category_are_required(client: Client) -> None:
    response = _sign_up(client, consent="")
    assert response.status_code == 200
    assert "subscribe-form" in response.content.decode()
    response = _sign_up(client, categories=[])
    assert "subscribe-form" in response.content.decode()
    assert not Subscription.objects.exists()
    assert not mail.outbox


def test_confirm_then_new_alert_of_a_chosen_category_is_sent_once(client: Client) -> None:
    _sign_up(client)
    confirm = _link(mail.outbox[0].body, "confirm")
    _alert("L/OLD")  # added before the confirmation: not sent
    assert client.get(confirm).status_code == 200
    assert Subscription.objects.get().confirmed_at is None  # opening the link is not enough
    response = client.post(confirm)
    assert response.status_code == 302
    assert Subscription.objects.get().confirmed_at is not None
    mail.outbox.clear()
    old = ProductAlert.objects.get(number="L/OLD")
    ProductAlert.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    _alert("L/7", ProductCategory.TOYS)
    _alert("L/8", ProductCategory.COSMETICS)
    _alert("L/9", ProductCategory.TOYS, is_illustrative=True)

    assert send_digests(BASE) == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Product L/7" in body
    assert "/counterfeit/alerts/L/7/" in body
    assert "L/8" not in body
    assert "L/OLD" not in body
    assert "L/9" not in body
    assert "/counterfeit/subscribe/manage/" in body
    assert mail.outbox[0].extra_headers["List-Unsubscribe"].startswith(f"<{BASE}/counterfeit/")
    assert Subscription.objects.get().last_sent_at is not None

    assert send_digests(BASE) == 0
    assert len(mail.outbox) == 1


def test_email_language_follows_the_subscription() -> None:
    _confirmed("anna@example.org", language="it")
    _confirmed("bob@example.org", language="en")
    _alert("L/20")
    assert send_digests(BASE) == 2
    bodies = {m.to[0]: m.body for m in mail.outbox}
    with translation.override("it"):
        italian = str(ProductCategory.TOYS.label)
    with translation.override("en"):
        english = str(ProductCategory.TOYS.label)
    assert italian != english
    assert italian in bodies["anna@example.org"]
    assert english in bodies["bob@example.org"]


def test_sign_up_records_the_page_language(client: Client) -> None:
    client.cookies["django_language"] = "en"
    _sign_up(client)
    assert Subscription.objects.get().language == "en"


def test_known_address_gets_the_same_page_and_a_manage_link(client: Client) -> None:
    _confirmed("anna@example.org", categories=[ProductCategory.COSMETICS])
    first = _sign_up(client, "new@example.org")
    again = _sign_up(client, "anna@example.org")

    def page(response: Any, email: str) -> str:
        html = response.content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return html.replace(email, "EMAIL")

    assert again.status_code == first.status_code == 200
    assert page(again, "anna@example.org") == page(first, "new@example.org")
    assert len(mail.outbox) == 2
    assert "/counterfeit/subscribe/manage/" in mail.outbox[1].body
    assert "/confirm/" not in mail.outbox[1].body
    # A confirmed subscription is not changed or unconfirmed by a sign-up.
    found = Subscription.objects.get(email="anna@example.org")
    assert found.confirmed_at is not None
    assert found.categories == ["cosmetics"]


def test_signing_up_again_before_confirming_replaces_the_token(client: Client) -> None:
    _sign_up(client)
    old = _link(mail.outbox[0].body, "confirm")
    _sign_up(client, "Anna@Example.org", categories=["toys", "cosmetics"])
    assert Subscription.objects.count() == 1
    assert Subscription.objects.get().categories == ["toys", "cosmetics"]
    assert client.post(old).status_code == 404
    assert client.post(_link(mail.outbox[1].body, "confirm")).status_code == 302


def test_manage_page_changes_the_categories(client: Client) -> None:
    found = _confirmed()
    url = reverse("counterfeit:subscription_manage", args=[found.token])
    response = client.get(url)
    assert response.status_code == 200
    assert "anna@example.org" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    response = client.post(url, {"categories": ["cosmetics", "electrical"]})
    assert response.status_code == 302
    assert Subscription.objects.get().categories == ["cosmetics", "electrical"]
    response = client.post(url, {"categories": []})
    assert response.status_code == 200
    assert Subscription.objects.get().categories == ["cosmetics", "electrical"]
    _alert("L/30", ProductCategory.TOYS)
    _alert("L/31", ProductCategory.COSMETICS)
    assert send_digests(BASE) == 1
    assert "L/31" in mail.outbox[0].body
    assert "L/30" not in mail.outbox[0].body


def test_unsubscribe_deletes_the_row(client: Client) -> None:
    found = _confirmed()
    url = reverse("counterfeit:subscription_manage", args=[found.token])
    response = client.post(url, {"unsubscribe": "1"})
    assert response.status_code == 200
    assert "unsubscribed" in response.content.decode()
    assert not Subscription.objects.exists()
    assert client.get(url).status_code == 404
    _alert("L/40")
    assert send_digests(BASE) == 0
    assert not mail.outbox


def test_wrong_token_is_404(client: Client) -> None:
    _confirmed()
    for name in ("subscription_confirm", "subscription_manage"):
        url = reverse(f"counterfeit:{name}", args=["not-the-token"])
        assert client.get(url).status_code == 404
        assert client.post(url, {"unsubscribe": "1"}).status_code == 404
    assert Subscription.objects.count() == 1


def test_sign_ups_are_rate_limited_per_client(client: Client, settings: Any) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "REPORT_RATE_ANONYMOUS": 2}
    assert _sign_up(client, "a@example.org").status_code == 200
    assert _sign_up(client, "b@example.org").status_code == 200
    response = _sign_up(client, "c@example.org")
    assert response.status_code == 429
    assert not Subscription.objects.filter(email="c@example.org").exists()
    assert len(mail.outbox) == 2
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _sign_up(other, "c@example.org").status_code == 200


def test_unconfirmed_sign_ups_are_deleted_after_a_week(client: Client) -> None:
    _sign_up(client)
    _confirmed("bob@example.org")
    assert purge_unconfirmed() == 0
    assert purge_unconfirmed(timezone.now() + dt.timedelta(days=8)) == 1
    assert list(Subscription.objects.values_list("email", flat=True)) == ["bob@example.org"]


def test_command_takes_the_base_url_or_the_setting(capsys: Any, settings: Any) -> None:
    _confirmed()
    _alert("L/50")
    settings.PROSSIMA = {**settings.PROSSIMA, "SITE_URL": ""}
    with pytest.raises(CommandError, match="base-url"):
        call_command("send_alert_digests")
    call_command("send_alert_digests", "--base-url", "https://prossima.example/")
    assert "1 e-mails sent" in capsys.readouterr().out
    assert mail.outbox[0].body.count("https://prossima.example/counterfeit/alerts/L/50/") == 1
    settings.PROSSIMA = {**settings.PROSSIMA, "SITE_URL": "https://site.example"}
    _alert("L/51")
    call_command("send_alert_digests")
    assert "https://site.example/counterfeit/alerts/L/51/" in mail.outbox[1].body
