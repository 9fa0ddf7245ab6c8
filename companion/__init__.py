"""The Feedlens companion: CLI, local HTTP API, the analysis pipeline, tray and settings pages."""

__version__ = "0.1.0"
