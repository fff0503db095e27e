"""The key store: OS keyring or session only, never a plaintext file. Real Secret Service where one runs."""

from __future__ import annotations

import os
import uuid

import pytest
from keyring.backends import fail

from airalgo_desktop.keystore import KeyStore, backend_is_secure
from tests.ui.test_app import MemoryKeyring


def test_memory_backend_store_read_forget() -> None:
    ring = MemoryKeyring()
    store = KeyStore(backend=ring)
    assert store.secure and store.load() is None
    assert store.save(" key-1 ").persisted
    assert KeyStore(backend=ring).load() == "key-1"  # "restart"
    store.forget()
    assert KeyStore(backend=ring).load() is None
    store.forget()  # forgetting twice is fine


def test_no_backend_keeps_key_for_session_only() -> None:
    store = KeyStore(backend=fail.Keyring())
    assert not store.secure
    result = store.save("key-2")
    assert not result.persisted and "this session only" in result.message
    assert store.load() == "key-2"
    assert KeyStore(backend=fail.Keyring()).load() is None  # nothing survives a restart


def test_plaintext_backends_are_refused() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert not backend_is_secure(PlaintextKeyring())
    store = KeyStore(backend=PlaintextKeyring())
    assert not store.save("key-3").persisted


def _secret_service():
    try:
        from keyring.backends import SecretService

        backend = SecretService.Keyring()
        if backend.priority <= 0:
            return None
        probe = f"probe-{uuid.uuid4().hex[:6]}"
        backend.set_password("airalgo-desktop-test", probe, "x")
        backend.delete_password("airalgo-desktop-test", probe)
        return backend
    except Exception:
        return None


@pytest.mark.keyring_real
def test_real_secret_service_store_restart_read_forget() -> None:
    backend = _secret_service()
    if backend is None:
        pytest.skip("no working Secret Service here (run under dbus-run-session with gnome-keyring; see .ci/run)")
    user = f"api-key-test-{os.getpid()}"
    store = KeyStore(backend=backend, user=user)
    assert store.secure and store.save("real-key-xyz").persisted
    from keyring.backends import SecretService

    assert KeyStore(backend=SecretService.Keyring(), user=user).load() == "real-key-xyz"
    store.forget()
    assert KeyStore(backend=SecretService.Keyring(), user=user).load() is None


def test_real_secret_service_in_a_private_dbus_session() -> None:
    """Runs the real-keyring test inside ``dbus-run-session`` with an unlocked gnome-keyring, so the README's
    test command exercises a real Secret Service wherever the Debian packages are installed (.ci/run does)."""
    import shutil
    import subprocess
    import sys

    if os.environ.get("AIRALGO_IN_PRIVATE_DBUS"):
        pytest.skip("already inside the private D-Bus session")
    runner, daemon = shutil.which("dbus-run-session"), shutil.which("gnome-keyring-daemon")
    if not runner or not daemon:
        pytest.skip("dbus-run-session / gnome-keyring-daemon not installed (Debian: dbus gnome-keyring)")
    script = (f"echo -n pw | {daemon} --unlock --components=secrets >/dev/null 2>&1; "
              f"'{sys.executable}' -m pytest -q -p no:cacheprovider -m keyring_real {__file__}")
    env = {**os.environ, "AIRALGO_IN_PRIVATE_DBUS": "1"}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    proc = subprocess.run([runner, "--", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout
