"""Logging in to the console through an office's directory (OpenID Connect), against a real
provider on loopback (tests/oidc_provider.py): the code flow with PKCE, the ID token checked,
the person's own sohoa account giving the role."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from fastapi.testclient import TestClient

from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from pipeline.core.people import People
from pipeline.core.runtime import Runtime
from pipeline.service.api import build_services, create_app
from pipeline.settings import Settings


@pytest.fixture(scope="module")
def provider():
    server = Provider().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(provider, tmp_path_factory):
    home = tmp_path_factory.mktemp("console-oidc") / "home"
    rt = Runtime(Settings(home=home, console_oidc_issuer=provider.issuer, console_oidc_client_id=CLIENT_ID,
                          console_oidc_client_secret=CLIENT_SECRET), classifier=None)
    people = People.from_settings(rt.index, rt.settings)
    people.create("lan", "clerk", "mat-khau-du-dai-1", full_name="Nguyễn Thị Lan", office="UBND phường Bến Nghé")
    people.create("cu", "reviewer", "mat-khau-du-dai-1", full_name="Trần Văn Cũ", office="UBND phường Bến Nghé")
    people.disable("cu")
    return create_app(build_services(rt))


def through_directory(client: TestClient, next_path: str = ""):
    """The browser's trip: the console's link, the directory's login, back to the callback."""
    start = client.get("/console/login/oidc" + (f"?next={next_path}" if next_path else ""), follow_redirects=False)
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    query = parse_qs(urlparse(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    back = requests.get(authorize, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlparse(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def test_a_person_of_the_directory_logs_in_as_their_own_account(app, provider):
    """GIVEN a console configured with the office's directory, and a clerk account named lan
    WHEN lan follows the login page's directory link, logs in at the directory and comes back
    THEN the login page offers the link, the callback signs lan in with the clerk's pages (the
    page moves on by itself to where lan was going), and admin pages stay closed"""
    provider.user, provider.tamper = {"preferred_username": "Lan"}, None
    client = TestClient(app)
    assert 'id="login-directory"' in client.get("/console/login").text
    done = through_directory(client, "/console/search")
    assert done.status_code == 200, done.text
    assert re.search(r'http-equiv="refresh" content="0;url=/console/search"', done.text)
    assert client.get("/console/search").status_code == 200
    assert "Nguyễn Thị Lan" in client.get("/console/intake").text
    assert client.get("/console/admin", follow_redirects=False).status_code == 403


@pytest.mark.parametrize("who, tamper, said", [
    ({"preferred_username": "khach"}, None, "chưa có tài khoản sohoa"),
    ({"preferred_username": "cu"}, None, "vô hiệu hóa"),
    ({"preferred_username": "lan"}, "nonce", "không hợp lệ"),
    ({"preferred_username": "lan"}, "audience", "không hợp lệ"),
    ({"preferred_username": "lan"}, "signature", "không hợp lệ"),
    ({"preferred_username": "lan"}, "expired", "không hợp lệ"),
    ({"email": "lan@example.vn"}, None, "không có tên đăng nhập"),
])
def test_a_directory_login_that_does_not_hold_up_signs_nobody_in(app, provider, who, tamper, said):
    """GIVEN the directory vouching for someone with no sohoa account, a disabled account, or an
    ID token with another nonce, audience, key or an expiry in the past, or without a user name
    WHEN the browser comes back to the callback
    THEN the login page says why in Vietnamese (401) and nobody is signed in"""
    provider.user, provider.tamper = who, tamper
    client = TestClient(app)
    done = through_directory(client)
    assert done.status_code == 401, done.text
    assert said in done.text
    assert client.get("/console/search", follow_redirects=False).status_code == 303


def test_a_callback_without_its_pending_login_or_with_another_state_is_refused(app, provider):
    """GIVEN a browser that never started a directory log-in, and one whose callback carries
    another state than the one it was sent with (a forged or replayed callback)
    WHEN each opens the callback with a code
    THEN both are refused and nobody is signed in"""
    provider.user, provider.tamper = {"preferred_username": "lan"}, None
    stranger = TestClient(app)
    assert stranger.get("/console/login/oidc/callback?code=abc&state=xyz").status_code == 401
    client = TestClient(app)
    start = client.get("/console/login/oidc", follow_redirects=False)
    back = requests.get(start.headers["location"], allow_redirects=False, timeout=10)
    callback = urlparse(back.headers["location"])
    code = parse_qs(callback.query)["code"][0]
    forged = client.get(f"{callback.path}?code={code}&state=another", follow_redirects=False)
    assert forged.status_code == 401
    assert client.get("/console/search", follow_redirects=False).status_code == 303
