"""Narrow errors of the translation area (bases in :mod:`models.errors`)."""

from models.errors import ModelError, ModelUnavailable


class NoRoute(ModelUnavailable):
    """No installed model (direct or through English) translates ``src->dst``; the message names the pull."""

    code = "no_translation_model"
    status = 404


class DownloadFailed(ModelError):
    """A model download broke off or the server refused it; the partial file is kept for resuming."""

    code = "download_failed"
    status = 502


class ChecksumMismatch(ModelError):
    """A downloaded file's sha256 differs from the catalog's or the one recorded at first download."""

    code = "checksum_mismatch"
    status = 502


class PullInProgress(ModelError):
    """Another process is pulling the same model right now."""

    code = "pull_in_progress"
    status = 409
