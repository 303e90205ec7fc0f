"""Settings from the environment, production checks, CLI and database errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prossima.cli import build_parser
from prossima.config.env import env_bool, env_list

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    inherited = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    full_env = {k: v for k, v in os.environ.items() if k not in inherited} | env
    return subprocess.run(
        [sys.executable, "-m", "prossima", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_env_bool_rejects_unclear_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ValueError, match="DEBUG='maybe' is not a boolean; accepted values"):
        env_bool("DEBUG", False)
    monkeypatch.setenv("DEBUG", "yes")
    assert env_bool("DEBUG", False) is True
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example , b.example ,")
    assert env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = run(
        ["manage", "check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_SETTINGS_MODULE": "prossima.config.production",
            "SECRET_KEY": "k" * 20 + "-production-only-" + "x9Y8z7W6v5U4t3S2r1Q0" * 2,
            "ALLOWED_HOSTS": "prossima.example.it",
            "PROSSIMA_HOME": str(tmp_path),
        },
        ROOT,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_cookies_are_secure_and_https_is_enforced(tmp_path: Path) -> None:
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "X_FRAME_OPTIONS",
        "DEBUG",
    ]
    code = (
        "from django.conf import settings; print("
        + ", ".join(f"repr(settings.{n})" for n in names)
        + ", sep='|')"
    )
    result = run(
        ["manage", "shell", "-c", code],
        {
            "DJANGO_SETTINGS_MODULE": "prossima.config.production",
            "SECRET_KEY": "k" * 50,
            "PROSSIMA_HOME": str(tmp_path),
        },
        ROOT,
    )
    values = dict(zip(names, result.stdout.strip().splitlines()[-1].split("|"), strict=True))
    assert values == {
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SESSION_COOKIE_HTTPONLY": "True",
        "SESSION_COOKIE_NAME": "'__Host-sessionid'",
        "CSRF_COOKIE_NAME": "'__Host-csrftoken'",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "X_FRAME_OPTIONS": "'DENY'",
        "DEBUG": "False",
    }


def test_production_shows_openstreetmap_tiles_unless_told_otherwise(tmp_path: Path) -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "prossima.config.production",
        "SECRET_KEY": "k" * 50,
        "PROSSIMA_HOME": str(tmp_path),
    }
    code = "from django.conf import settings; print(settings.PROSSIMA['TILE_URL'])"
    default = run(["manage", "shell", "-c", code], env, ROOT)
    assert default.stdout.strip().endswith("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    own = run(
        ["manage", "shell", "-c", code],
        env | {"PROSSIMA_TILE_URL": "https://tiles.comune.example/{z}/{x}/{y}.png"},
        ROOT,
    )
    assert own.stdout.strip().endswith("https://tiles.comune.example/{z}/{x}/{y}.png")


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run(
        ["manage", "check"],
        {
            "DJANGO_SETTINGS_MODULE": "prossima.config.production",
            "SECRET_KEY": "",
            "PROSSIMA_HOME": str(tmp_path),
        },
        ROOT,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_unreachable_database_is_one_clear_message(tmp_path: Path) -> None:
    result = run(
        ["setup", "--no-demo"],
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/prossima",
            "PROSSIMA_HOME": str(tmp_path),
        },
        ROOT,
    )
    assert result.returncode == 2
    assert "Cannot connect to the database 127.0.0.1:1/prossima" in result.stderr
    assert "Traceback" not in result.stderr


def test_embedded_secret_key_is_created_once(tmp_path: Path) -> None:
    from prossima.config.env import embedded_secret_key

    first = embedded_secret_key(tmp_path / "var")
    assert len(first) > 40
    assert embedded_secret_key(tmp_path / "var") == first
    assert (tmp_path / "var/secret_key").stat().st_mode & 0o077 == 0


def test_cli_lists_its_verbs() -> None:
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"setup", "serve", "demo", "manage"} <= set(verbs)


def test_manage_passes_through(tmp_path: Path) -> None:
    result = run(["manage", "check"], {"PROSSIMA_HOME": str(tmp_path)}, ROOT)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
