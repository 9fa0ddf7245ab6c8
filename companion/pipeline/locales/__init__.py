"""Reason sentences per UI language (reasons.<lang>.json); loaded by companion.pipeline.reasons."""
