"""One JSON error shape, whatever raised the error."""

import pytest

from companion.errors import error_body
from models.errors import ModelUnavailable
from privacy.errors import VaultLocked


@pytest.mark.parametrize("exc, status, code", [
    (ModelUnavailable("no model for zh->en; run `feedlens models pull translate-zh-en`"), 503, "model_unavailable"),
    (VaultLocked("no usable keyring; set FEEDLENS_PASSPHRASE"), 503, "vault_locked"),
])
def test_errors_of_every_layer_render_the_same_shape(exc, status, code):
    body, got = error_body(exc)
    assert got == status
    assert body == {"ok": False, "error": exc.message, "code": code, "status": status, "errors": []}
