"""Feedlens inference: model registry, encoder backends, task heads, language ID, translation.

Never imports ``companion`` or ``privacy`` (a test checks it): models are usable on their own.
"""
