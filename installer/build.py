"""Build the frozen app and this OS's installer into dist/, printing the paths.

    python installer/build.py            # frozen app + setup.exe (Windows) / .dmg (macOS) / .tar.gz (Linux)
    python installer/build.py --nsis     # on Linux: also compile the Windows NSIS script (proves it is valid)
    python installer/build.py --smoke    # then run the frozen app's --smoke-test (window, first tick, one master
                                         # import through the child, keyring backend) and report start-up and size

Needs the build extra: pip install -e ".[build]" (PyInstaller, Pillow); on Linux makensis (Debian: nsis) for --nsis
and desktop-file-validate (desktop-file-utils) to check the menu entry.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
NAME = "AirAlgoDesktop"


def version() -> str:
    """The single source of the version: pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def run(cmd: list[str], **kwargs) -> None:  # type: ignore[no-untyped-def]
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def freeze() -> Path:
    """PyInstaller onedir build; returns dist/AirAlgoDesktop (or the .app on macOS)."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit('PyInstaller is missing: pip install -e ".[build]"')
    run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"),
         str(ROOT / "installer" / "airalgo-desktop.spec")], cwd=ROOT)
    if sys.platform == "darwin":
        return DIST / "AirAlgo Desktop.app"
    return DIST / NAME


def folder_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def linux_tarball(onedir: Path, ver: str) -> Path:
    """dist/AirAlgoDesktop-<ver>-linux-<arch>.tar.gz: the app, a .desktop entry, an icon, install.sh."""
    desktop = ROOT / "installer" / "linux" / "airalgo-desktop.desktop"
    validator = shutil.which("desktop-file-validate")
    if validator:
        checked = DIST / "airalgo-desktop.desktop"
        checked.write_text(desktop.read_text().replace("@EXEC@", "/opt/airalgo-desktop/AirAlgoDesktop"))
        run([validator, str(checked)])
        checked.unlink()
        print("desktop-file-validate: ok")
    else:
        print("desktop-file-validate not found (Debian: desktop-file-utils): .desktop entry not validated")
    top = f"airalgo-desktop-{ver}"
    out = DIST / f"{NAME}-{ver}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(onedir, arcname=f"{top}/{NAME}")
        tar.add(desktop, arcname=f"{top}/airalgo-desktop.desktop")
        tar.add(ROOT / "resources" / "icon-256.png", arcname=f"{top}/airalgo-desktop.png")
        tar.add(ROOT / "installer" / "linux" / "install.sh", arcname=f"{top}/install.sh")
    return out


def nsis(onedir: Path, ver: str, *, check_only: bool) -> Path:
    """Compile installer/windows/airalgo-desktop.nsi around ``onedir``."""
    makensis = shutil.which("makensis")
    if makensis is None:
        sys.exit("makensis not found (Debian: apt-get install nsis; Windows: choco install nsis)")
    suffix = "-nsis-check.exe" if check_only else "-setup.exe"
    out = DIST / f"{NAME}-{ver}{suffix}"
    flag = "/" if sys.platform == "win32" else "-"
    run([makensis, f"{flag}V2", f"{flag}DVERSION={ver}", f"{flag}DSRCDIR={onedir}", f"{flag}DOUTFILE={out}",
         str(ROOT / "installer" / "windows" / "airalgo-desktop.nsi")])
    return out


def smoke(frozen: Path) -> float:
    """Run the frozen app's --smoke-test; returns seconds from start to exit."""
    exe = frozen / "Contents" / "MacOS" / NAME if frozen.suffix == ".app" else frozen / (
        f"{NAME}.exe" if sys.platform == "win32" else NAME)
    env = {**os.environ, "AIRALGO_HOME": str(ROOT / "build" / "smoke-home"), "AIRALGO_STARTUP_MARK": "1"}
    if sys.platform.startswith("linux") and not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    start = time.time()
    proc = subprocess.run([str(exe), "--smoke-test"], capture_output=True, text=True, env=env, timeout=120,
                          encoding="utf-8", errors="replace")
    elapsed = time.time() - start
    print(proc.stdout.strip())
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        sys.exit(f"smoke test failed (exit {proc.returncode})")
    # the frozen app's own checks after the first tick: the import child (the executable started again) and the
    # keyring backend PyInstaller's build picked — a build that lost either must not ship
    for needed in ("smoke test import child: ", "smoke test keyring: "):
        if not any(line.startswith(needed) for line in proc.stdout.splitlines()):
            sys.exit(f"smoke test incomplete: no '{needed.strip()}' line")
    shown = [float(line.split()[1]) - start for line in proc.stdout.splitlines() if line.startswith("startup-mark ")]
    if shown:
        print(f"cold start to window: {shown[0]:.2f} s")
    print(f"smoke test passed in {elapsed:.2f} s")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nsis", action="store_true", help="on Linux/macOS: also compile the NSIS script")
    parser.add_argument("--smoke", action="store_true", help="run the frozen app's --smoke-test")
    args = parser.parse_args()
    ver = version()
    DIST.mkdir(exist_ok=True)
    frozen = freeze()
    outputs = [frozen]
    print(f"frozen app: {frozen} ({folder_size_mb(frozen):.0f} MB)")
    if sys.platform == "win32":
        outputs.append(nsis(frozen, ver, check_only=False))
    elif sys.platform == "darwin":
        dmg = DIST / f"AirAlgo Desktop-{ver}.dmg"
        run(["sh", str(ROOT / "installer" / "macos" / "make_dmg.sh"), str(frozen), str(dmg)])
        outputs.append(dmg)
    else:
        outputs.append(linux_tarball(frozen, ver))
    if args.nsis and sys.platform != "win32":
        outputs.append(nsis(frozen, ver, check_only=True))
    if args.smoke:
        smoke(frozen)
    for path in outputs:
        size = folder_size_mb(path) if path.is_dir() else path.stat().st_size / 2**20
        print(f"built: {path} ({size:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
