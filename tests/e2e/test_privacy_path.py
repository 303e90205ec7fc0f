"""A citizen who forgot their password resets it, downloads their data and erases the account."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

pytestmark = pytest.mark.e2e

NEW = "una passphrase nuova 2026"


def test_reset_download_and_erase_in_a_browser(
    browser: Any, page: Any, live_server: Any, territory: None, make_user: Any, tmp_path: Path
) -> None:
    from prossima.accounts.models import User

    user = make_user(username="giovanna", first_name="Giovanna")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_text("Password dimenticata?").click()
    page.get_by_label("Indirizzo e-mail").fill("giovanna@example.org")
    page.get_by_role("button", name="Invia il link").click()
    page.wait_for_url("**/password/reset/sent/")
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)
    assert link is not None, message.body

    page.goto(live_server.url + link.group(1))
    page.locator("#id_new_password1").fill(NEW)
    page.locator("#id_new_password2").fill(NEW)
    page.get_by_role("button", name="Imposta la password").click()
    page.wait_for_url("**/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill("giovanna")
    page.get_by_label("Password").fill(NEW)
    page.get_by_role("button", name="Accedi").click()
    page.goto(live_server.url + "/privacy/")

    with page.expect_download() as download:
        page.get_by_text("Scarica i miei dati (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["account"]["username"] == "giovanna"
    assert data["account"]["first_name"] == "Giovanna"

    page.get_by_label("La tua password").fill(NEW)
    page.get_by_text("Ho capito").click()  # the label, as a person clicks it
    page.get_by_role("button", name="Cancella il mio account").click()
    page.wait_for_selector("[data-testid=erased]")
    user.refresh_from_db()
    assert user.username == f"deleted-{user.pk}"
    assert not user.is_active
    assert "giovanna" not in user.email
    assert user.first_name == ""
    assert not User.objects.filter(username="giovanna").exists()
    assert page.console_errors == []
