#!/usr/bin/env python3
"""The two set-up commands: `python3.11 dev.py demo` and `python3.11 dev.py test`.

Each creates (or reuses) the virtual environment in .venv, installs requirements.txt when it
changed, and then runs the app with demo data or the whole test suite. Standard library only.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_venv() -> None:
    if sys.version_info[:2] < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("Kyoso needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    requirements = (ROOT / "requirements.txt").read_bytes()
    digest = hashlib.sha256(requirements + sys.version.encode()).hexdigest()
    stamp = VENV / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing requirements ...", flush=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                       check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r",
                        str(ROOT / "requirements.txt")], check=True)
        stamp.write_text(digest)


def flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), "-m", "flask", *args], check=True, cwd=ROOT, env=env)


def public_base_url(host: str, port: str) -> str:
    """Where links in the demo's mails point: the address it listens on (a wildcard address
    such as 0.0.0.0 is not one a browser can open, so 127.0.0.1 stands for it)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # an IPv6 address in a URL
    return f"http://{shown}:{port}"


def demo(args: list[str]) -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    env = {**os.environ, "FLASK_APP": "wsgi"}
    # The demo's milestones are low enough that its reviewed ideas really reached the last one
    # with the demo's supporters (README, "Demo accounts"); set SUPPORT_MILESTONES to change them.
    env.setdefault("SUPPORT_MILESTONES", "10,25,50,100")
    if not env.get("PUBLIC_BASE_URL"):
        env["PUBLIC_BASE_URL"] = public_base_url(host, port)
    flask("db", "upgrade", env=env)
    flask("seed-demo", env=env)
    where = "by SMTP through " + env["MAIL_SERVER"] if env.get("MAIL_SERVER") \
        else "to this terminal (the log), not sent"
    print(f"\nKyoso is running at http://{host}:{port}/  (Ctrl+C to stop)\n"
          f"Mails go {where}; their links point at {env['PUBLIC_BASE_URL']}/\n", flush=True)
    return subprocess.call([str(PYTHON), "-m", "flask", "run", "--host", host, "--port", port,
                            *args], cwd=ROOT, env=env)


def test(args: list[str]) -> int:
    # Two workers (two cores); idle ones take queued tests from the busy one, so the few long
    # tests (browser walks, the PostgreSQL half of slow modules) do not leave a core idle at the end.
    workers = [] if any(a.startswith("-n") for a in args) else ["-n", "2", "--dist", "worksteal"]
    return subprocess.call([str(PYTHON), "-m", "pytest", *workers, *args], cwd=ROOT)


def main() -> int:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    ensure_venv()
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
