"""Helpers for tests: the one error shape, and an extension that pairs and calls the API."""

from __future__ import annotations

PORT = 8795
BASE = f"http://127.0.0.1:{PORT}"
EXT_ID = "feedlenstestextensionid"


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one JSON error shape of companion/errors.py, with the expected status."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and len(body["error"]) > 10
    assert isinstance(body["errors"], list)
    if code:
        assert body["code"] == code
    return body


class Extension:
    """Drives the API as the paired browser extension would."""

    def __init__(self, app, client, ext_id: str = EXT_ID):
        self.app, self.client, self.ext_id = app, client, ext_id
        self.origin = f"chrome-extension://{ext_id}"
        self.token: str | None = None

    def headers(self, **extra: str) -> dict[str, str]:
        h = {"Origin": self.origin}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra)
        return h

    def pair(self) -> str:
        r = self.client.post("/v1/pair/request", base_url=BASE, headers={"Origin": self.origin},
                             json={"extension_id": self.ext_id, "name": "Feedlens test"})
        assert r.status_code == 202, r.json
        self.app.extensions["feedlens"].pairing.approve(r.json["code"])
        r2 = self.client.get(f"/v1/pair/{r.json['id']}", base_url=BASE, headers={"Origin": self.origin})
        self.token = r2.json["token"]
        return self.token

    def get(self, path: str, **kw):
        return self.client.get(path, base_url=BASE, headers=self.headers(**kw.pop("headers", {})), **kw)

    def post(self, path: str, json=None, **kw):
        return self.client.post(path, base_url=BASE, json=json, headers=self.headers(**kw.pop("headers", {})), **kw)

    def put(self, path: str, json=None, **kw):
        return self.client.put(path, base_url=BASE, json=json, headers=self.headers(**kw.pop("headers", {})), **kw)


