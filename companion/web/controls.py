"""What the tray and the settings page can change, over one :class:`~companion.services.Services`.

    controls = Controls(services)
    controls.state()                 # "attention" | "loading" | "paused" | "running"
    controls.set_paused(True)
    controls.devices()               # ["auto", "cpu"] (+ "gpu" where ONNX Runtime has a GPU provider)
    controls.set_device("cpu")       # saved to config.json; applied when models next load
    controls.approve("K7P3QX")

Both front ends are thin shells over this object; it re-reads real state on every call so a
menu's checked mark or a page's switch never shows what was merely asked for.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from companion.config import CONFIG_FILE, models_dir, validate
from companion.errors import FeedlensError, InvalidRequest, NotFound

log = logging.getLogger(__name__)

# ONNX Runtime providers that mean "a GPU is here".
GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "ROCMExecutionProvider",
                 "DmlExecutionProvider", "CoreMLExecutionProvider", "MIGraphXExecutionProvider")


class VaultUnavailable(FeedlensError):
    """The vault is not open in this companion (not built in yet, locked, or failed to open)."""

    code = "vault_unavailable"
    status = 503


def available_providers() -> list[str]:
    """``onnxruntime.get_available_providers()``, or ``[]`` when ONNX Runtime is missing."""
    try:
        import onnxruntime
    except ImportError:
        return []
    return list(onnxruntime.get_available_providers())


class Controls:
    """Tray and settings-page actions. Every method re-reads state; errors are Feedlens errors."""

    def __init__(self, services: Any):
        self.services = services
        self.jobs = PullJobs(self)

    # --- state ------------------------------------------------------------------------------
    @property
    def cfg(self) -> dict[str, Any]:
        return self.services.cfg

    @property
    def data_dir(self) -> Path:
        return Path(self.cfg["data_dir"])

    @property
    def paused(self) -> bool:
        return bool(self.services.paused)

    def set_paused(self, value: bool) -> bool:
        self.services.set_paused(bool(value))
        return self.paused

    def loading(self) -> bool:
        """Models are still loading (the serving process loads them in a background thread)."""
        analyzer = getattr(self.services, "analyzer", None)
        # Analyzer keeps no public "loaded" flag yet; its private one is read, never written.
        return analyzer is not None and getattr(analyzer, "_loaded", True) is False

    def pending(self) -> list[dict[str, Any]]:
        try:
            return self.services.pairing.pending()
        except Exception:  # the tray polls this; a broken store must not kill the poll
            log.exception("could not read pending pairing requests")
            return []

    def attention(self) -> str | None:
        """Why the person is needed: ``pairing`` (a request waits), ``vault`` (nothing is being kept), or None."""
        if self.pending():
            return "pairing"
        if self.vault_problem():
            return "vault"
        return None

    def state(self) -> str:
        """The tray icon's state: attention (a pairing waits, the vault is locked) > loading > paused > running."""
        if self.attention():
            return "attention"
        if self.loading():
            return "loading"
        return "paused" if self.paused else "running"

    # --- device -----------------------------------------------------------------------------
    def devices(self) -> list[str]:
        """Choices ONNX Runtime can honour here: auto and cpu always, gpu only with a GPU provider."""
        out = ["auto", "cpu"]
        if any(p in GPU_PROVIDERS for p in available_providers()):
            out.append("gpu")
        return out

    @property
    def device(self) -> str:
        return str(self.cfg.get("device", "auto"))

    def set_device(self, device: str) -> str:
        choices = self.devices()
        if device not in choices:
            raise InvalidRequest(f"device {device!r} is not available here; choose one of {', '.join(choices)}")
        self.save_settings({"device": device})
        analyzer = getattr(self.services, "analyzer", None)
        if analyzer is not None:
            analyzer.device = device  # used the next time models load (restart to apply now)
        return self.device

    def save_settings(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validate ``values`` against the settings table, write them to config.json, apply in memory."""
        clean = validate(values, "settings")
        if "retention_days" in clean and not 1 <= clean["retention_days"] <= 3650:
            raise InvalidRequest(f"retention_days must be from 1 to 3650, got {clean['retention_days']}")
        path = self.data_dir / CONFIG_FILE
        current: dict[str, Any] = {}
        if path.exists():
            try:
                current = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidRequest(f"{path} is not valid JSON ({exc}); fix or delete it, then try again") from exc
        current.update(clean)
        tmp = path.with_suffix(f".tmp-{uuid.uuid4().hex[:8]}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(current, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
        self.cfg.update(clean)
        log.info("settings saved: %s", ", ".join(sorted(clean)))
        return clean

    # --- pairings ---------------------------------------------------------------------------
    def pairings(self) -> list[dict[str, Any]]:
        return [p for p in self.services.pairing.list() if not p.get("revoked")]

    def approve(self, code: str) -> dict[str, Any]:
        return self.services.pairing.approve(code)

    def deny(self, code: str) -> dict[str, Any]:
        return self.services.pairing.deny(code)

    def revoke(self, pairing_id: str) -> None:
        self.services.pairing.revoke(pairing_id)

    # --- vault ------------------------------------------------------------------------------
    @property
    def vault(self) -> Any:
        """The open vault, or :class:`VaultUnavailable` saying why not."""
        vault = getattr(self.services, "vault", None)
        if vault is None:
            why = getattr(self.services, "vault_problem", None) or "the vault is not wired into this companion yet"
            raise VaultUnavailable(f"Your profile and history are unavailable: {why}")
        return vault

    def vault_problem(self) -> str | None:
        try:
            self.vault
        except VaultUnavailable as exc:
            return exc.message
        return None

    def profile(self) -> dict[str, Any]:
        """The profile the pipeline uses (``Services.profile``: stored + defaults + version)."""
        vault = self.vault
        return self.services.profile() if hasattr(self.services, "profile") else vault.profile_get()

    def put_profile(self, doc: Any) -> dict[str, Any]:
        """Validate like ``PUT /v1/profile`` does and store; the stored document comes back."""
        if not isinstance(doc, dict):
            raise InvalidRequest("the profile must be a JSON object")
        try:
            from companion.profile import validate_profile
        except ImportError:  # profile validation not in this build: store the object as it is
            validate_profile = dict
        self.vault.profile_put(validate_profile(doc))
        return self.profile()

    def export(self) -> dict[str, Any]:
        return self.vault.export()

    def erase(self, forget_pairings: bool) -> None:
        """Erase the vault; with ``forget_pairings`` every paired extension must pair again."""
        self.vault.erase(keep_pairings=not forget_pairings)
        if forget_pairings:
            for p in self.pairings():  # pairings may still live outside the vault
                self.services.pairing.revoke(p["id"])

    def purge(self) -> int:
        return int(self.vault.purge_seen_older_than(int(self.cfg["retention_days"])))

    def stats(self, days: int = 30) -> dict[str, Any]:
        return self.vault.stats(days)

    # --- models -----------------------------------------------------------------------------
    @property
    def models_dir(self) -> Path:
        return models_dir(self.cfg)

    def catalog(self) -> list[dict[str, Any]] | None:
        """The translation catalog; ``_model_catalog`` in the config replaces it (tests)."""
        return self.cfg.get("_model_catalog")

    def models(self) -> list[dict[str, Any]]:
        from models.translate.pull import list_models

        return list_models(self.models_dir, catalog=self.catalog())

    def remove_model(self, model_id: str) -> None:
        from models.translate.pull import remove

        remove(model_id, self.models_dir, catalog=self.catalog())


class PullJobs:
    """Model pulls running in background threads, with progress the page polls.

    ``start(id)`` -> job id; ``get(job)`` -> ``{id, model, state: downloading|installing|done|error,
    percent, done_bytes, total_bytes, file, error?}``. One pull per model at a time.
    """

    def __init__(self, controls: Controls):
        self.controls = controls
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def start(self, model_id: str) -> dict[str, Any]:
        from models.translate import catalog as cat

        entry = cat.get_entry(model_id, self.controls.catalog())  # unknown id: InvalidInput (400)
        with self._lock:
            for job in self._jobs.values():
                if job["model"] == model_id and job["state"] in ("downloading", "installing"):
                    return dict(job)
            job = {"id": uuid.uuid4().hex[:12], "model": model_id, "state": "downloading", "percent": 0.0,
                   "done_bytes": 0, "total_bytes": None, "file": None, "error": None}
            self._jobs[job["id"]] = job
        files = [f["name"] for f in entry.get("files", [])]
        threading.Thread(target=self._run, args=(job["id"], model_id, files), name=f"pull-{model_id}",
                         daemon=True).start()
        return dict(job)

    def get(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NotFound(f"no model pull {job_id!r}; start one from the models list")
            return dict(job)

    def _run(self, job_id: str, model_id: str, files: list[str]) -> None:
        from models.translate.pull import pull

        per_file: dict[str, tuple[int, int | None]] = {}

        def progress(name: str, done: int, total: int | None) -> None:
            per_file[name] = (done, total)
            fractions = [(d / t if t else 0.0) for d, t in (per_file.get(f, (0, None)) for f in files)]
            with self._lock:
                job = self._jobs[job_id]
                job["file"] = name
                job["done_bytes"] = sum(d for d, _ in per_file.values())
                totals = [t for _, t in per_file.values()]
                job["total_bytes"] = sum(totals) if all(totals) and len(per_file) == len(files) else None
                job["percent"] = round(100.0 * sum(fractions) / max(1, len(files)), 1)
                if job["percent"] >= 100.0:
                    job["state"] = "installing"

        try:
            pull(model_id, self.controls.models_dir, catalog=self.controls.catalog(),
                 mirror=self.controls.cfg.get("_model_mirror"), progress=progress)
        except Exception as exc:  # shown on the page; the thread must not die silently
            message = getattr(exc, "message", None) or str(exc)
            log.warning("pull of %s failed: %s", model_id, message)
            with self._lock:
                self._jobs[job_id].update(state="error", error=message)
            return
        with self._lock:
            self._jobs[job_id].update(state="done", percent=100.0)
        log.info("pulled %s from the settings page", model_id)
