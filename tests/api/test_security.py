"""The localhost security model: Host, Origin, token, limits. Every refusal has the one error shape."""

import pytest

from helpers import BASE, Extension, assert_error

POST = {"site": "x", "posts": [{"id": "1", "text": "This is fine"}]}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8795", "127.0.0.1:9999", "localhost.evil.example:8795",
                                  "127.0.0.2:8795", "[::1]:8795", ""])
def test_foreign_host_is_refused_with_421(client, host):
    r = client.get("/v1/health", base_url=BASE, headers={"Host": host})
    assert_error(r, 421, "bad_host")


@pytest.mark.parametrize("host", ["127.0.0.1:8795", "localhost:8795"])
def test_local_host_names_are_accepted(client, host):
    assert client.get("/v1/health", base_url=BASE, headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:8000", "null", "file://"])
def test_web_page_origin_is_refused_with_403(ext, origin):
    r = ext.post("/v1/analyze", POST, headers={"Origin": origin})
    assert_error(r, 403, "forbidden_origin")
    r = ext.client.get("/v1/health", base_url=BASE, headers={"Origin": origin})
    assert_error(r, 403)


def test_web_page_cannot_request_pairing(client):
    r = client.post("/v1/pair/request", base_url=BASE, headers={"Origin": "https://evil.example"},
                    json={"extension_id": "abc", "name": "evil"})
    assert_error(r, 403)


def test_missing_token_is_401(client):
    assert_error(client.post("/v1/analyze", base_url=BASE, json=POST), 401, "not_paired")
    assert_error(client.get("/v1/status", base_url=BASE), 401, "not_paired")


@pytest.mark.parametrize("auth", ["Bearer wrong-token", "Bearer ", "Basic abc", "bearer", "Token x"])
def test_wrong_token_is_401(client, auth):
    r = client.post("/v1/analyze", base_url=BASE, json=POST, headers={"Authorization": auth})
    assert_error(r, 401, "not_paired")


def test_revoked_token_is_401(ext):
    assert ext.post("/v1/analyze", POST).status_code == 200
    services = ext.app.extensions["feedlens"]
    [pairing] = services.pairing.list()
    services.pairing.revoke(pairing["id"])
    assert_error(ext.post("/v1/analyze", POST), 401)


def test_token_used_from_another_extension_origin_is_refused(ext):
    r = ext.post("/v1/analyze", POST, headers={"Origin": "chrome-extension://someoneelse"})
    assert_error(r, 401)


def test_only_token_hash_is_stored(ext, data_dir):
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert ext.token.encode() not in path.read_bytes(), path


def test_cors_only_for_paired_extension_origin(app, client, ext):
    ok = ext.post("/v1/analyze", POST)
    assert ok.headers["Access-Control-Allow-Origin"] == ext.origin
    stranger = Extension(app, client, "unpairedextension")
    r = client.options("/v1/analyze", base_url=BASE, headers={"Origin": stranger.origin,
                                                               "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = client.options("/v1/analyze", base_url=BASE, headers={"Origin": ext.origin,
                                                               "Access-Control-Request-Method": "POST"})
    assert r.headers["Access-Control-Allow-Origin"] == ext.origin


def test_pairing_routes_answer_cors_for_any_extension(client):
    r = client.post("/v1/pair/request", base_url=BASE, headers={"Origin": "moz-extension://1234-abcd"},
                    json={"extension_id": "1234-abcd", "name": "Feedlens for Firefox"})
    assert r.status_code == 202
    assert r.headers["Access-Control-Allow-Origin"] == "moz-extension://1234-abcd"


def test_body_over_limit_is_413(ext):
    big = {"site": "x", "posts": [{"id": "1", "text": "a" * 2_000_000}]}
    assert_error(ext.post("/v1/analyze", big), 413)


def test_rate_limit_gives_429_and_companion_keeps_serving(data_dir):
    from companion.app import create_app

    app = create_app({"data_dir": data_dir, "port": 8795, "rate_limit_per_minute": 5})
    client = app.test_client()
    e = Extension(app, client)
    e.pair()
    codes = [e.post("/v1/analyze", POST).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert_error(e.post("/v1/analyze", POST), 429, "rate_limited")
    assert client.get("/v1/health", base_url=BASE).status_code == 200


def test_pairing_request_flood_is_rate_limited(client):
    codes = [client.post("/v1/pair/request", base_url=BASE, json={"extension_id": f"e{i}", "name": "x"}).status_code
             for i in range(12)]
    assert codes[:10] == [202] * 10
    assert codes[10:] == [429, 429]


def test_security_headers_on_every_response(client):
    r = client.get("/v1/health", base_url=BASE)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"
