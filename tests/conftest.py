"""Shared fixtures: compiled catalogues, a loaded territory, organisations and people."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from prossima.i18n import compile_catalogues

# Emilia-Romagna: 330 real comuni, enough for search and lookups, loads in seconds.
TEST_REGIONS = "08"
BOLOGNA = "037006"


def pytest_configure(config: pytest.Config) -> None:
    if compile_catalogues():
        # Django, and Python's gettext beneath it, may have cached the catalogues
        # before they were compiled (make test compiles them first, so this is
        # for a bare pytest run).
        import gettext

        from django.test.signals import setting_changed

        gettext._translations.clear()  # type: ignore[attr-defined]
        setting_changed.send(sender=None, setting="LANGUAGES", value=None, enter=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Load one real region once per test session; each test rolls back its own changes."""
    with django_db_blocker.unblock():
        call_command("load_territory", regions=TEST_REGIONS, verbosity=0)
    from django.core.cache import cache

    # The embedded cache is a folder that outlives a test session.
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_rate_counters() -> None:
    """Start each test with no rate-limit counters.

    Rate limits count in the cache (a folder or Redis shared by every test), and
    every test client comes from 127.0.0.1: without this the API and form limits
    would count the whole session's requests and refuse a later test's.
    """
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def fast_password_hashing(settings: Any) -> None:
    """Hash test passwords quickly; production keeps Django's slow, safe default."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def english() -> Any:
    """Run the test with English messages, whatever the default language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def live_db(transactional_db: Any) -> Any:
    """Give a test the committed database a live server sees.

    After the test the database is emptied, which the append-only audit log
    refuses; its triggers are dropped for that and put back before the next one.
    """
    from django.db import connection

    from prossima.accounts.db import install_audit_triggers, remove_audit_triggers

    install_audit_triggers(connection)
    yield
    remove_audit_triggers(connection)


REDIS = ("127.0.0.1", 6379)


def redis_available() -> bool:
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_worker(live_db: Any) -> Iterator[None]:
    if not redis_available():
        message = "Redis is not running at 127.0.0.1:6379"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from celery.contrib.testing.worker import start_worker

    from prossima.config.celery import app

    previous = app.conf.broker_url
    # Database 15 keeps test messages apart from anything else on this Redis.
    app.conf.broker_url = "redis://127.0.0.1:6379/15"
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        app.conf.broker_url = previous
        # The app keeps its pools of connections to the broker it sent to; forget them
        # (kombu keeps them open for the next test on Redis) so that later tests send to
        # the configured queue again, not to Redis database 15.
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None


@pytest.fixture
def bologna(db: Any) -> Any:
    from prossima.territory.models import Comune

    return Comune.objects.select_related("province", "region").get(istat_code=BOLOGNA)


@pytest.fixture
def modena(db: Any) -> Any:
    from prossima.territory.models import Comune

    return Comune.objects.get(istat_code="036023")


@pytest.fixture
def make_org(db: Any) -> Callable[..., Any]:
    from prossima.accounts.actions import do_create_organisation

    def make(kind: str, name: str | None = None, **kwargs: Any) -> Any:
        return do_create_organisation(None, name=name or f"{kind} org", kind=kind, **kwargs)

    return make


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from prossima.accounts.actions import do_add_membership
    from prossima.accounts.models import User

    counter = {"n": 0}

    def make(org: Any = None, role: str | None = None, **kwargs: Any) -> Any:
        counter["n"] += 1
        name = kwargs.pop("username", f"user{counter['n']}")
        user = User.objects.create_user(
            username=name,
            email=f"{name}@example.org",
            password="correct horse battery",
            **kwargs,
        )
        if org is not None and role is not None:
            do_add_membership(None, org, user, role)
        return user

    return make


@pytest.fixture
def toronto(make_org: Any, make_user: Any, modena: Any) -> dict[str, Any]:
    """Toronto as a partner city with the real downtown extract (11,740 rows) imported."""
    from django.core.cache import cache

    from prossima.accounts.models import OrganisationKind, Role
    from prossima.incidents.actions import do_create_dataset, do_import_incidents

    cache.clear()  # public layers cached by earlier tests
    city = make_org(
        OrganisationKind.PARTNER_CITY,
        "Toronto (test)",
        country="CA",
        timezone_name="America/Toronto",
    )
    police = make_org(OrganisationKind.POLICE_COMMAND, "TPS analysts (test)", parent=city)
    other = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    dataset = do_create_dataset(None, city, name="MCI downtown")
    record = do_import_incidents(
        None, dataset, Path(__file__).resolve().parent / "data" / "toronto_mci_extract.csv.gz"
    )
    assert record.created == 11_740
    from prossima.analytics.queries import forget_local_public_layer

    forget_local_public_layer(city.slug)  # a copy kept by an earlier test's request
    return {
        "city": city,
        "dataset": dataset,
        "analyst": make_user(police, Role.ANALYST, username="analyst"),
        "officer": make_user(police, Role.OFFICER, username="officer"),
        "manager": make_user(city, Role.MANAGER, username="manager"),
        "outsider": make_user(other, Role.ANALYST, username="outsider"),
    }
