"""The API key in the OS keyring (Windows Credential Locker, macOS Keychain, Secret Service) — never on disk
in plain text. If no secure backend works, the key is kept in memory for this session only, and the UI says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .config import KEYRING_SERVICE, KEYRING_USER
from .logs import register_secret

log = logging.getLogger("airalgo.keystore")

# backends that would write the key to disk readable by anyone with the file: refused
_INSECURE_MODULE_PREFIXES = ("keyrings.alt", "keyring.backends.null", "keyring.backends.fail")


@dataclass
class SaveResult:
    """Where a key went: the OS keyring, or this session only (with the reason)."""

    persisted: bool
    message: str


def backend_is_secure(backend: object) -> bool:
    """True for real OS keyrings; False for fail/null backends and plaintext files."""
    module = type(backend).__module__
    if module.startswith(_INSECURE_MODULE_PREFIXES):
        return False
    if type(backend).__name__ == "ChainerBackend":
        return any(backend_is_secure(b) for b in getattr(backend, "backends", []))
    try:
        return float(getattr(type(backend), "priority", 1)) > 0
    except Exception:
        return True


class KeyStore:
    """Load, save and forget the API key. Calls may block on D-Bus/Keychain: run them off the UI thread."""

    def __init__(self, backend: object | None = None, service: str = KEYRING_SERVICE, user: str = KEYRING_USER):
        self.service = service
        self.user = user
        self._backend = backend
        self._session_key: str | None = None

    @property
    def backend(self) -> object | None:
        """The keyring backend in use (None when keyring itself cannot load)."""
        if self._backend is None:
            try:
                import keyring

                self._backend = keyring.get_keyring()
            except Exception as exc:
                log.warning("keyring unavailable: %s", type(exc).__name__)
                return None
        return self._backend

    @property
    def secure(self) -> bool:
        """Whether keys can be stored persistently and safely."""
        backend = self.backend
        return backend is not None and backend_is_secure(backend)

    def backend_name(self) -> str:
        """For Help/About and doctor."""
        backend = self.backend
        return f"{type(backend).__module__}.{type(backend).__name__}" if backend is not None else "none"

    def load(self) -> str | None:
        """The stored key (or this session's key), None if there is none."""
        if self._session_key:
            return self._session_key
        if not self.secure:
            return None
        try:
            key = self.backend.get_password(self.service, self.user)  # type: ignore[union-attr]
        except Exception as exc:
            log.warning("reading the keyring failed: %s", type(exc).__name__)
            return None
        register_secret(key)
        return key or None

    def save(self, key: str) -> SaveResult:
        """Store ``key``; when no secure keyring works, keep it for this session only (never in a file)."""
        key = key.strip()
        register_secret(key)
        if self.secure:
            try:
                self.backend.set_password(self.service, self.user, key)  # type: ignore[union-attr]
                self._session_key = None
                return SaveResult(True, "API key saved in the OS keyring.")
            except Exception as exc:
                log.warning("writing the keyring failed: %s", type(exc).__name__)
                reason = f"the OS keyring refused it ({type(exc).__name__})"
        else:
            reason = "no OS keyring is available on this system"
        self._session_key = key
        return SaveResult(False, f"The API key is kept for this session only: {reason}. "
                                 "You will be asked again next time.")

    def forget(self) -> None:
        """Delete the key from the keyring and from memory."""
        self._session_key = None
        if self.secure:
            try:
                self.backend.delete_password(self.service, self.user)  # type: ignore[union-attr]
            except Exception as exc:  # PasswordDeleteError when nothing was stored
                log.info("nothing to delete in the keyring (%s)", type(exc).__name__)
