"""E-mail the confirmed subscribers the new alerts of their categories (run once a day)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.counterfeit.subscriptions import purge_unconfirmed, send_digests, site_url


class Command(BaseCommand):
    help = (
        "Send each confirmed subscriber one e-mail with the alerts of the chosen categories "
        "added since the previous one, and delete sign-ups never confirmed within a week."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="",
            help=(
                "The platform's public address for the links, e.g. https://prossima.example "
                "(default: PROSSIMA_SITE_URL)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = (options["base_url"] or site_url()).rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(
                f"{base_url!r}: give --base-url (or set PROSSIMA_SITE_URL) as https://host."
            )
        purged = purge_unconfirmed()
        sent = send_digests(base_url)
        self.stdout.write(f"{sent} e-mails sent; {purged} unconfirmed sign-ups deleted.")
