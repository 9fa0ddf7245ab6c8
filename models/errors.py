"""Errors raised by the inference layer.

Each carries a machine ``code`` and an HTTP-ish ``status`` so the companion can render it without
knowing every class; messages say what failed and what to do.
"""


class ModelError(Exception):
    """Base class for inference errors."""

    code = "model_error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ModelUnavailable(ModelError):
    """A model (or the optional package it needs) is not installed or not built yet."""

    code = "model_unavailable"
    status = 503


class ModelMismatch(ModelError):
    """A head file was trained on a different encoder build than the one loaded."""

    code = "model_mismatch"
    status = 500


class InvalidInput(ModelError):
    """Input the model layer cannot work with (unknown language code, bad file, ...)."""

    code = "invalid_input"
    status = 400
