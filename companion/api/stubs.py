"""Endpoints of DESIGN.md whose capability has not landed yet: a clear 501, behind the token."""

from flask import Blueprint

from companion.errors import NotImplementedYet
from companion.security import guard_blueprint

bp = Blueprint("stubs", __name__, url_prefix="/v1")
guard_blueprint(bp)

# route -> (methods, what will provide it)
PLANNED: dict[str, tuple[list[str], str]] = {}


def _make(path: str, what: str):
    def view():
        raise NotImplementedYet(f"/v1{path} is not available in this build yet (it comes with {what})")

    view.__name__ = "planned_" + path.strip("/")
    return view


for _path, (_methods, _what) in PLANNED.items():
    bp.add_url_rule(_path, view_func=_make(_path, _what), methods=_methods)
