"""The analysis pipeline: posts + profile -> verdicts. Plain functions over frozen dataclasses."""
