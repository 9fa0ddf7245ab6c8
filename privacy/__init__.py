"""Feedlens's vault: SQLCipher store, keys from the OS keyring, export, erase, retention.

Never imports ``companion`` or ``models`` (a test checks it).
"""
