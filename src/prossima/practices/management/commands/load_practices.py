"""Publish practices from a JSON file in the seed format (src/prossima/practices/data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.accounts.models import Organisation
from prossima.practices.actions import SEED_FILE, do_load_seed_practices


class Command(BaseCommand):
    help = "Publish the practices of a JSON file (default: the seed practices); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(SEED_FILE))
        parser.add_argument(
            "--organisation", required=True, help="Slug of the organisation that publishes them."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation has slug {options['organisation']}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            created = do_load_seed_practices(organisation, path)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"{created} practices added; the others were updated.")
