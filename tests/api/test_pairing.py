"""Pairing end to end, through the API and the command line."""

import time

from click.testing import CliRunner

from companion.cli import cli
from helpers import BASE, EXT_ID, assert_error

ORIGIN = {"Origin": f"chrome-extension://{EXT_ID}"}
POST = {"site": "x", "posts": [{"id": "1", "text": "This is fine"}]}


def _request(client):
    r = client.post("/v1/pair/request", base_url=BASE, headers=ORIGIN, json={"extension_id": EXT_ID, "name": "Chrome"})
    assert r.status_code == 202
    body = r.json
    assert set(body) == {"id", "code", "expires_in"} and len(body["code"]) == 6
    return body


def test_pairing_end_to_end_with_cli_approval_and_revocation(client, data_dir):
    req = _request(client)
    assert client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=ORIGIN).json == {"status": "pending"}

    runner = CliRunner()
    listed = runner.invoke(cli, ["pair", "list"])
    assert req["code"] in listed.output
    approved = runner.invoke(cli, ["pair", "approve", req["code"].lower()])
    assert approved.exit_code == 0, approved.output

    first = client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=ORIGIN).json
    assert first["status"] == "approved" and len(first["token"]) >= 43  # 256 bits, urlsafe base64
    again = client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=ORIGIN).json
    assert again == {"status": "approved"}  # the token appears once

    auth = {**ORIGIN, "Authorization": f"Bearer {first['token']}"}
    assert client.post("/v1/analyze", base_url=BASE, headers=auth, json=POST).status_code == 200

    pairing_id = runner.invoke(cli, ["pair", "list"]).output.split("id ")[1].split()[0]
    revoked = runner.invoke(cli, ["pair", "revoke", pairing_id])
    assert revoked.exit_code == 0, revoked.output
    assert_error(client.post("/v1/analyze", base_url=BASE, headers=auth, json=POST), 401)


def test_denied_request_never_gets_a_token(app, client):
    req = _request(client)
    app.extensions["feedlens"].pairing.deny(req["code"])
    assert client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=ORIGIN).json == {"status": "denied"}


def test_expired_request_cannot_be_approved(data_dir):
    from companion.app import create_app

    app = create_app({"data_dir": data_dir, "port": 8795, "pair_code_ttl_seconds": 1})
    client = app.test_client()
    req = _request(client)
    time.sleep(1.1)
    assert client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=ORIGIN).json == {"status": "expired"}
    result = CliRunner().invoke(cli, ["pair", "approve", req["code"]])
    assert result.exit_code == 1 and "expired" in result.output


def test_unknown_request_id_is_404(client):
    assert_error(client.get("/v1/pair/nope", base_url=BASE, headers=ORIGIN), 404)


def test_another_extension_cannot_read_the_token(app, client):
    req = _request(client)
    app.extensions["feedlens"].pairing.approve(req["code"])
    r = client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers={"Origin": "chrome-extension://thief"})
    assert_error(r, 404)
    assert "token" in client.get(f"/v1/pair/{req['id']}", base_url=BASE, headers=ORIGIN).json


def test_pair_request_for_another_extension_id_is_refused(client):
    r = client.post("/v1/pair/request", base_url=BASE, headers=ORIGIN, json={"extension_id": "other", "name": "x"})
    assert_error(r, 403)


def test_approve_with_malformed_code_says_what_a_code_looks_like():
    result = CliRunner().invoke(cli, ["pair", "approve", "12"])
    assert result.exit_code == 1 and "6 letters and digits" in result.output


def test_revoke_unknown_pairing_lists_the_active_ones():
    result = CliRunner().invoke(cli, ["pair", "revoke", "nope"])
    assert result.exit_code == 1 and "active pairings" in result.output
