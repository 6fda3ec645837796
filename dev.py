#!/usr/bin/env python3
"""One-command setup for a machine with only Python 3.11+.

    python3 dev.py run     install, migrate, load the demo and serve on http://127.0.0.1:8000
    python3 dev.py test    install and run the whole test suite (extra arguments go to pytest)
    python3 dev.py install only create .venv and install the locked dependencies

The virtual environment lives in .venv and is reinstalled whenever requirements.lock changes.
"""

import contextlib
import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
LOCK = ROOT / "requirements-dev.lock"
STAMP = VENV / ".requirements.sha256"
ENV_FILE = ROOT / ".env"
HOST, PORT = "127.0.0.1", "8000"


def sh(*args, **kwargs):
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_environment():
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older Python
        sys.exit("Python 3.11 or newer is needed; this is " + sys.version.split()[0])
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print("Installing the locked dependencies ...", flush=True)
        sh(
            PYTHON,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "-r",
            LOCK,
        )
        STAMP.write_text(digest)


def ensure_env_file():
    """Local settings for the embedded default: debug on, a secret key of its own."""
    if not ENV_FILE.exists():
        ENV_FILE.write_text(f"DEBUG=1\nSECRET_KEY={secrets.token_urlsafe(50)}\n")


def run():
    ensure_environment()
    ensure_env_file()
    manage = [PYTHON, "manage.py"]
    sh(*manage, "migrate", "--no-input", "-v", "0")
    sh(*manage, "seed_demo")
    print(f"\nOpen http://{HOST}:{PORT}/ and log in with one of the accounts above.")
    print(f"API docs: http://{HOST}:{PORT}/api/docs/   Admin: http://{HOST}:{PORT}/admin/")
    print("Stop the server with Ctrl+C.\n", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sh(*manage, "runserver", f"{HOST}:{PORT}")


def test(args):
    ensure_environment()
    result = subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT)
    sys.exit(result.returncode)


def main():
    command, *rest = sys.argv[1:] or ["help"]
    if command == "run":
        run()
    elif command == "install":
        ensure_environment()
    elif command == "test":
        test(rest)
    else:
        print(__doc__)
        sys.exit(0 if command in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main()
