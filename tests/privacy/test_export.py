"""Data-subject export (GDPR art. 15, 20): the person's data, and nobody else's."""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from prossima.accounts.actions import do_issue_api_token
from prossima.accounts.models import ApiToken, AuditEvent
from prossima.dialogue.models import Comment, Flag, Notification, Support
from tests.privacy.conftest import citizen_report, consultation, proposal


def test_the_export_holds_the_persons_items_and_none_of_another(
    world: dict[str, Any], client: Any
) -> None:
    alice, bob = world["alice"], world["bob"]
    space = consultation(world)
    for person in (alice, bob):
        name = person.username
        own = proposal(world, person, space, title=f"{name}-proposal")
        Comment.objects.create(proposal=own, author=person, body=f"{name}-comment")
        Notification.objects.create(recipient=person, kind="comment", event=f"{name}-event")
        citizen_report(world, person, title=f"{name}-report")
        do_issue_api_token(person, f"{name}-token")
    Support.objects.create(proposal=space.proposals.get(title="bob-proposal"), user=alice)
    Flag.objects.create(
        proposal=space.proposals.get(title="bob-proposal"), reporter=alice, reason="spam"
    )
    client.force_login(alice)

    response = client.get(reverse("privacy:export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    data = json.loads(text)
    assert data["account"]["username"] == "alice"
    assert data["account"]["email"] == "alice@example.org"
    assert [p["title"] for p in data["proposals"]] == ["alice-proposal"]
    assert [c["body"] for c in data["comments"]] == ["alice-comment"]
    assert [n["event"] for n in data["notifications"]] == ["alice-event"]
    assert [r["title"] for r in data["citizen_reports"]] == ["alice-report"]
    assert data["citizen_reports"][0]["has_photo"] is False
    assert [s["proposal__title"] for s in data["supports"]] == ["bob-proposal"]
    assert [f["reason"] for f in data["flags_raised"]] == ["spam"]
    assert [t["name"] for t in data["api_tokens"]] == ["alice-token"]
    for digest in ApiToken.objects.values_list("digest", flat=True):
        assert digest not in text, "token secrets never leave the platform"
    for trace in ("bob-comment", "bob-event", "bob-report", "bob-token", "bob@example.org"):
        assert trace not in text, trace
    assert "password" not in data["account"]
    # The download is audited, and the next export shows it.
    event = AuditEvent.objects.get(object_type="privacy.personal_data", actor=alice)
    assert event.action == AuditEvent.Action.EXPORT
    again = json.loads(client.get(reverse("privacy:export")).content)
    assert any(e["object_type"] == "privacy.personal_data" for e in again["audit_events_as_actor"])


def test_my_data_needs_a_signed_in_person(client: Any, world: dict[str, Any]) -> None:
    for name in ("privacy:index", "privacy:export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_the_my_data_page_is_linked_and_explains(
    client: Any, world: dict[str, Any], english: Any
) -> None:
    client.force_login(world["alice"])
    profile = client.get(reverse("accounts:profile"))
    assert reverse("privacy:index").encode() in profile.content
    page = client.get(reverse("privacy:index"))
    assert page.status_code == 200
    assert b'data-testid="download-my-data"' in page.content
    assert b'data-testid="erase-account"' in page.content


def test_the_retention_page_is_public_and_lists_every_rule(
    client: Any, english: Any, db: Any
) -> None:
    from prossima.privacy.retention import RETENTION

    response = client.get(reverse("privacy:retention"))
    assert response.status_code == 200
    for rule in RETENTION:
        assert f'id="{rule.kind}"'.encode() in response.content
    assert "si può solo accrescere" in response.content.decode()  # "append-only", in Italian
    home = client.get(reverse("web:home"))
    assert reverse("privacy:retention").encode() in home.content, "linked from the footer"
