"""Web defences: CSRF on every form, headers, login lock-out, rate limits, upload checks."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import Client
from django.urls import reverse
from PIL import Image

from prossima.accounts.actions import do_issue_api_token
from prossima.web.ratelimit import Rate, client_ip, hit, parse_rate

PASSWORD = "correct horse battery"
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
POST_FORM = re.compile(r"""<form\b[^>]*\bmethod=["']?post""", re.I)
CSRF_INPUT = re.compile(r"""name=["']csrfmiddlewaretoken["']""")


def post_forms(html: str) -> list[str]:
    """Return every form of the page that is sent with POST."""
    return [form for form in FORM.findall(html) if POST_FORM.match(form)]


def prossima(settings: Any, **values: Any) -> None:
    """Change some PROSSIMA settings for this test (the fixture undoes it)."""
    settings.PROSSIMA = {**settings.PROSSIMA, **values}


# -- CSRF, CSP, framing --------------------------------------------------------------

PUBLIC_FORM_PAGES = [
    "accounts:login",
    "accounts:register",
    "counterfeit:subscribe",
    "incidents:report_new",
]


@pytest.mark.parametrize("name", PUBLIC_FORM_PAGES)
def test_public_forms_carry_a_csrf_token_and_refuse_a_post_without(db: Any, name: str) -> None:
    url = reverse(name)
    page = Client().get(url)
    assert page.status_code == 200
    forms = post_forms(page.content.decode())
    assert forms, f"{url} has no POST form to check"
    for form in forms:
        assert CSRF_INPUT.search(form), f"a POST form of {url} has no CSRF token:\n{form[:300]}"

    refused = Client(enforce_csrf_checks=True).post(url, {"username": "x", "password": "y"})
    assert refused.status_code == 403


def test_signed_in_pages_carry_a_csrf_token_in_every_post_form(client: Any, make_user: Any) -> None:
    client.force_login(make_user())
    for url in [reverse("accounts:profile"), reverse("dialogue:index"), reverse("web:home")]:
        page = client.get(url)
        assert page.status_code == 200, url
        for form in post_forms(page.content.decode()):
            assert CSRF_INPUT.search(form), f"a POST form of {url} has no CSRF token"

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user())
    refused = strict.post(reverse("accounts:create_token"), {"name": "script"})
    assert refused.status_code == 403


def test_pages_forbid_framing_and_inline_scripts(client: Any, db: Any) -> None:
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    policy = dict(
        [*part.strip().split(" ", 1), ""][:2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )
    script_src = policy.get("script-src") or policy["default-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


# -- Login lock-out ------------------------------------------------------------------


def login(client: Any, username: str, password: str, ip: str = "198.51.100.7") -> Any:
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def logged_in(client: Any) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def giulia(make_user: Any, fast_password_hashing: None) -> Any:
    return make_user(username="giulia")


def test_five_failed_logins_lock_the_name_even_with_the_right_password(
    client: Any, giulia: Any
) -> None:
    for _attempt in range(4):
        assert login(client, "giulia", "wrong").status_code == 200
    fifth = login(client, "giulia", "wrong")
    assert fifth.status_code == 429

    response = login(client, "giulia", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    text = response.content.decode()
    # Pages speak Italian first, whatever the test's language.
    assert "Troppi accessi non riusciti" in text
    assert "Riprova tra 15 minuti" in text
    assert not logged_in(client)


def test_a_password_reset_lifts_the_lock_out(client: Any, giulia: Any) -> None:
    import re

    from django.core import mail

    for _attempt in range(5):
        login(client, "giulia", "wrong")
    assert login(client, "giulia", PASSWORD).status_code == 429
    client.post("/accounts/password/reset/", {"email": giulia.email})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[-1].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    new = "another long passphrase 7"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert login(client, "giulia", new).status_code == 302
    assert logged_in(client)


def test_lock_out_lifts_after_the_cool_off_and_success_resets_the_count(
    client: Any, giulia: Any
) -> None:
    for _attempt in range(5):
        login(client, "giulia", "wrong")
    assert login(client, "giulia", PASSWORD).status_code == 429

    # Sixteen minutes later: the failures are older than the cool-off.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert login(client, "giulia", PASSWORD).status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.exists()

    client.logout()
    for _attempt in range(4):
        assert login(client, "giulia", "wrong").status_code == 200
    assert login(client, "giulia", PASSWORD).status_code == 302


def test_lock_out_is_per_name_and_address(client: Any, giulia: Any, settings: Any) -> None:
    for _attempt in range(5):
        login(client, "giulia", "wrong", ip="198.51.100.7")
    # The same person from another address is not locked out by someone else's guesses.
    assert login(client, "giulia", PASSWORD, ip="203.0.113.9").status_code == 302

    # Behind one trusted proxy, the address is the one the proxy saw, not the proxy's.
    client.logout()
    prossima(settings, TRUSTED_PROXY_HOPS=1)
    for _attempt in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": "giulia", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="192.0.2.1",
        )
    locked = client.post(
        reverse("accounts:login"),
        {"username": "giulia", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert locked.status_code == 429
    other_client = client.post(
        reverse("accounts:login"),
        {"username": "giulia", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="spoofed, 192.0.2.2",
    )
    assert other_client.status_code == 302


def test_username_and_email_count_as_the_same_name(client: Any, giulia: Any) -> None:
    for _attempt in range(3):
        login(client, "giulia", "wrong")
    for _attempt in range(2):
        login(client, "GIULIA@example.org", "wrong")
    assert login(client, "giulia@example.org", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"giulia"}


def test_lock_out_does_not_reveal_whether_an_account_exists(
    client: Any, giulia: Any, english: None
) -> None:
    def attempts(name: str) -> list[tuple[int, str]]:
        seen = []
        for _attempt in range(6):
            response = login(client, name, "wrong")
            body = re.sub(r'value="[^"]*"', "", response.content.decode())
            seen.append((response.status_code, body.replace(name, "NAME")))
        return seen

    known = attempts("giulia")
    unknown = attempts("nessuno")
    assert [status for status, _body in known] == [200, 200, 200, 200, 429, 429]
    assert known == unknown


def test_test_client_login_still_works(client: Any, giulia: Any) -> None:
    # client.login() authenticates without a request; the lock-out backend lets it
    # through to the password check rather than failing.
    assert client.login(username="giulia", password=PASSWORD)
    assert not client.login(username="giulia", password="wrong")


# -- API rate limits -----------------------------------------------------------------


def test_api_refuses_an_anonymous_flood_with_429_and_retry_after(
    client: Any, bologna: Any, settings: Any
) -> None:
    prossima(settings, API_RATE_ANONYMOUS="3/m")
    url = "/api/comuni/037006"
    for _call in range(3):
        assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address is another client.
    assert client.get(url, REMOTE_ADDR="192.0.2.44").status_code == 200


def test_api_counts_an_account_by_its_token_not_its_address(
    client: Any, bologna: Any, make_user: Any, settings: Any
) -> None:
    prossima(settings, API_RATE_ANONYMOUS="2/m", API_RATE_USER="4/m")
    _token, raw = do_issue_api_token(make_user(), "script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for _call in range(4):
        assert client.get("/api/me", **auth).status_code == 200
    assert client.get("/api/me", **auth).status_code == 429
    # The address's own anonymous allowance is untouched by the account's calls.
    assert client.get("/api/comuni/037006").status_code == 200


def test_api_client_address_honours_trusted_proxy_hops(
    client: Any, bologna: Any, settings: Any
) -> None:
    prossima(settings, API_RATE_ANONYMOUS="1/m", TRUSTED_PROXY_HOPS=1)
    url = "/api/comuni/037006"
    first = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    assert client.get(url, **first).status_code == 200
    assert client.get(url, **first).status_code == 429
    second = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 192.0.2.2"}
    assert client.get(url, **second).status_code == 200


# -- Public form rate limits ---------------------------------------------------------


def test_sign_ups_from_one_address_are_limited(db: Any, settings: Any, english: None) -> None:
    prossima(settings, SIGNUP_RATE="2/h")
    client = Client()
    url = reverse("accounts:register")
    for _attempt in range(2):
        assert client.post(url, {"username": ""}).status_code == 200  # invalid, but counted
    refused = client.post(url, {"username": ""})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Non è stato salvato nulla" in refused.content.decode()  # "Nothing was saved"
    # Reading the form is never limited.
    assert client.get(url).status_code == 200


def test_citizen_forms_are_limited_per_account(client: Any, make_user: Any, settings: Any) -> None:
    prossima(settings, FORM_RATE_USER="2/h")
    client.force_login(make_user())
    url = reverse("dialogue:flag", args=["proposal", 999999])
    for _attempt in range(2):
        assert client.post(url).status_code == 404  # no such proposal, but counted
    refused = client.post(url)
    assert refused.status_code == 429
    assert "Retry-After" in refused
    # Another person on the same connection has their own allowance.
    client.force_login(make_user())
    assert client.post(url).status_code == 404


def test_anonymous_people_are_sent_to_log_in_without_being_counted(db: Any, settings: Any) -> None:
    prossima(settings, FORM_RATE_ANONYMOUS="1/h")
    client = Client()
    url = reverse("dialogue:flag", args=["proposal", 1])
    for _attempt in range(3):
        assert client.post(url).status_code == 302


def test_login_attempts_from_one_address_are_limited_whatever_the_name(
    client: Any, db: Any, settings: Any
) -> None:
    prossima(settings, LOGIN_RATE="3/10m")
    for name in ["anna", "bruno", "carla"]:
        assert login(client, name, "guess").status_code == 200
    assert login(client, "dario", "guess").status_code == 429


def test_fixed_window_counter() -> None:
    rate = parse_rate("2/10m")
    assert rate == Rate(limit=2, seconds=600)
    assert parse_rate("600/m") == Rate(limit=600, seconds=60)
    with pytest.raises(ValueError, match="is not valid"):
        parse_rate("ten per minute")
    start = 1_700_000_400.0  # a window boundary (multiple of 600)
    assert hit("test", "one", rate, now=start + 1) is None
    assert hit("test", "one", rate, now=start + 2) is None
    assert hit("test", "one", rate, now=start + 100) == 500
    assert hit("test", "two", rate, now=start + 100) is None
    assert hit("test", "one", rate, now=start + 600) is None  # the next window


def test_client_ip_ignores_forwarded_for_unless_proxies_are_trusted(rf: Any, settings: Any) -> None:
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1")
    prossima(settings, TRUSTED_PROXY_HOPS=0)
    assert client_ip(request) == "10.0.0.1"
    prossima(settings, TRUSTED_PROXY_HOPS=1)
    assert client_ip(request) == "192.0.2.1"
    prossima(settings, TRUSTED_PROXY_HOPS=3)  # fewer entries than proxies: trust none
    assert client_ip(request) == "10.0.0.1"


# -- Uploads -------------------------------------------------------------------------


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
PHP = b"<?php system($_GET['c']); ?>"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x0131] = "Secret Phone 1.0"  # Software
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_pdf_uploads_are_checked_by_content_and_size(english: None) -> None:
    from prossima.dialogue.actions.consultations import MAX_DOCUMENT_BYTES, check_pdf

    with pytest.raises(ValidationError, match="not a PDF"):
        check_pdf(upload("evil.pdf", HTML, "application/pdf"))
    big = upload("big.pdf", b"%PDF-1.7\n" + b"0" * MAX_DOCUMENT_BYTES, "application/pdf")
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        check_pdf(big)
    assert check_pdf(upload("whatever.bin", b"%PDF-1.7\n%%EOF", "text/html")) == 14


def test_photos_are_decoded_refused_if_not_images_and_reencoded_without_metadata(
    settings: Any, english: None
) -> None:
    from prossima.incidents.photos import PhotoError, clean_photo

    with pytest.raises(PhotoError, match="not a readable image"):
        clean_photo(io.BytesIO(PHP), "shell.jpg")
    with pytest.raises(PhotoError, match="not a readable image"):
        clean_photo(io.BytesIO(HTML), "page.png")

    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()
    cleaned = clean_photo(io.BytesIO(original), "photo.jpg")
    again = Image.open(io.BytesIO(cleaned.read()))
    assert again.format == "JPEG"
    assert not again.getexif()
    assert b"Camera Maker" not in cleaned.open().read()

    prossima(settings, REPORT_PHOTO_MAX_MB=1)
    with pytest.raises(PhotoError, match="more than the 1 MB"):
        clean_photo(io.BytesIO(original + b"\0" * (1024 * 1024)), "huge.jpg")


def test_indicator_files_over_the_limit_are_refused(settings: Any, english: None) -> None:
    from prossima.inclusion.forms import IndicatorUploadForm

    prossima(settings, INDICATOR_UPLOAD_MAX_MB=1)
    big = upload("indicators.csv", b"subarea_code\n" + b"x\n" * (600 * 1024), "text/csv")
    form = IndicatorUploadForm({}, {"file": big})
    assert not form.is_valid()
    assert "larger than 1 MB" in form.errors["file"][0]
    small = upload("indicators.csv", b"subarea_code,foreign_share\nA,0.1\n", "text/csv")
    assert IndicatorUploadForm({}, {"file": small}).is_valid()


def test_passwords_need_twelve_characters(db: Any, english: None) -> None:
    from django.contrib.auth.password_validation import validate_password

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("ab-cd-ef-gh")  # 11
    validate_password("una-frase-lunga-42")
