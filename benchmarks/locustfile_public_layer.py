"""Locust users of the public-layer load test (run by ``bench_public_layer.py``).

Each user sends its next request as soon as the previous answer is in, on
one kept-alive connection, as anonymous visitors do; with
``PROSSIMA_BENCH_WAIT`` it first waits a random time of that mean (uniform
from 0 to twice it), so the users do not stay in step. The tenant is
``PROSSIMA_BENCH_SLUG``. By hand, against a running server::

    PROSSIMA_BENCH_SLUG=demo-toronto .venv/bin/locust -f benchmarks/locustfile_public_layer.py \
        --headless -u 50 -r 50 -t 30s --host http://127.0.0.1:8000 LayerUser
"""

from __future__ import annotations

import os

from locust import FastHttpUser, between, task

SLUG = os.environ.get("PROSSIMA_BENCH_SLUG", "demo-toronto")
WAIT = float(os.environ.get("PROSSIMA_BENCH_WAIT", "0"))
LAYER = f"/analytics/{SLUG}/public/hotspots.json"
PAGE = f"/analytics/{SLUG}/public/"


class LayerUser(FastHttpUser):
    """Fetch the public hotspot layer again and again."""

    wait_time = between(0, 2 * WAIT)

    @task
    def layer(self) -> None:
        """Fetch the stored layer."""
        self.client.get(LAYER, name="layer")


class VisitorUser(FastHttpUser):
    """Open the public page, then fetch the layer its map asks for."""

    wait_time = between(0, 2 * WAIT)

    @task
    def visit(self) -> None:
        """Fetch the page, then the layer."""
        self.client.get(PAGE, name="page")
        self.client.get(LAYER, name="layer")


class HomeUser(FastHttpUser):
    """Fetch the home page: one count query and a template, the reference."""

    wait_time = between(0, 2 * WAIT)

    @task
    def home(self) -> None:
        """Fetch the home page."""
        self.client.get("/", name="home")
