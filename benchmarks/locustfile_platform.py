"""Locust users of the platform load test (``bench_load.py``, tests/security/test_load.py).

Anonymous visitors open the home page, the public map of a tenant
(``PROSSIMA_BENCH_SLUG``) and the map's layer API, and file citizen reports
with a small photo, as people do from a phone. Each user thinks between
requests (``PROSSIMA_BENCH_WAIT`` seconds on average, uniform from 0 to twice
it) and files at most ``PROSSIMA_BENCH_REPORTS`` reports, under the per-address
limit, so a 429 means the limit counted people wrongly.

Every user has its own address in ``X-Forwarded-For``: in production the
platform sits behind one reverse proxy (``PROSSIMA_TRUSTED_PROXY_HOPS=1``) and
counts report limits per client address; without it the 100 users would all
be 127.0.0.1, one client, and the limit would rightly stop them.

Every report accepted (a redirect to its follow-up page) is appended to
``PROSSIMA_BENCH_SUBMITTED`` with its unique title, so the caller can check
the database holds each exactly once. By hand, against a running server::

    PROSSIMA_BENCH_SLUG=demo-toronto .venv/bin/locust -f benchmarks/locustfile_platform.py \
        --headless -u 100 -r 50 -t 30s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import io
import itertools
import os
import re
import uuid

from locust import FastHttpUser, between, task
from PIL import Image
from urllib3 import encode_multipart_formdata

SLUG = os.environ.get("PROSSIMA_BENCH_SLUG", "demo-toronto")
WAIT = float(os.environ.get("PROSSIMA_BENCH_WAIT", "1"))
REPORTS_PER_USER = int(os.environ.get("PROSSIMA_BENCH_REPORTS", "3"))
SUBMITTED = os.environ.get("PROSSIMA_BENCH_SUBMITTED", "")
# A point in the centre of Bologna (Piazza Maggiore) and the category's primary key.
LON = float(os.environ.get("PROSSIMA_BENCH_LON", "11.3426"))
LAT = float(os.environ.get("PROSSIMA_BENCH_LAT", "44.4937"))
CATEGORY = os.environ.get("PROSSIMA_BENCH_CATEGORY", "1")

PAGE = f"/analytics/{SLUG}/public/"
LAYER = f"/analytics/{SLUG}/public/hotspots.json"
FORM = "/incidents/reports/new/"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ADDRESSES = itertools.count(1)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


PHOTO = _photo()


class Visitor(FastHttpUser):
    """An anonymous person: browses the home page and the public map, files a few reports."""

    wait_time = between(0, 2 * WAIT)

    def on_start(self) -> None:
        """Give this person an address of its own (10.x.y.z, unique within the run)."""
        n = next(ADDRESSES)
        self.address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        self.headers = {"X-Forwarded-For": self.address}
        self.reports = 0

    @task(3)
    def home(self) -> None:
        """Open the home page."""
        self.client.get("/", name="home", headers=self.headers)

    @task(2)
    def public_map(self) -> None:
        """Open the public map page, then fetch the layer it draws."""
        self.client.get(PAGE, name="map page", headers=self.headers)
        self.client.get(LAYER, name="layer API", headers=self.headers)

    @task(3)
    def layer(self) -> None:
        """Fetch the public layer alone, as a reused map or another site does."""
        self.client.get(LAYER, name="layer API", headers=self.headers)

    @task(2)
    def report(self) -> None:
        """Open the report form and file a report with a photo (up to the quota)."""
        if self.reports >= REPORTS_PER_USER:
            self.home()
            return
        form = self.client.get(FORM, name="report form", headers=self.headers)
        found = CSRF.search(form.content or b"")
        if form.status_code != 200 or found is None:
            return  # counted as a failure by locust when the status is not 2xx
        title = f"Load test {self.address} #{self.reports + 1} {uuid.uuid4().hex[:8]}"
        body, content_type = encode_multipart_formdata(
            {
                "csrfmiddlewaretoken": found.group(1).decode(),
                "category": CATEGORY,
                "title": title,
                "description": "Street lamp out at the corner, since last week (load test).",
                "lat": str(LAT),
                "lon": str(LON),
                "photo": ("lamp.jpg", PHOTO, "image/jpeg"),
            }
        )
        with self.client.post(
            FORM,
            name="report submit",
            data=body,
            headers={**self.headers, "Content-Type": content_type, "Referer": FORM},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/reports/follow/" not in (
                response.headers.get("Location") or ""
            ):
                response.failure(f"report refused: HTTP {response.status_code}")
                return
            response.success()
        self.reports += 1
        if SUBMITTED:
            with open(SUBMITTED, "a", encoding="utf-8") as f:
                f.write(title + "\n")
