"""Read settings from the environment with clear errors and safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean value of environment variable ``name``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(
        f"Environment variable {name}={raw!r} is not a boolean; "
        f"accepted values: {', '.join(sorted(TRUE_WORDS | FALSE_WORDS - {''}))}."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated environment variable as a list of trimmed items."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Return the integer value of environment variable ``name``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"Environment variable {name}={raw!r} is not a whole number.") from None


def embedded_secret_key(var_dir: Path) -> str:
    """Return the secret key kept in ``var_dir``, creating it on first use.

    The embedded default must not ship a fixed key: each checkout gets its own,
    stored next to the embedded database and never committed.
    """
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key
