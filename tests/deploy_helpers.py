"""Run the documented production shape locally: gunicorn with deploy/gunicorn.conf.py, nginx with
deploy/nginx.conf in front, and clients that connect and stay silent (idle) or send a request
one byte at a time (slowloris). Used by tests/test_deploy.py and bench/bench_idle_connections.py.
Every address is 127.0.0.1; every loop is bounded.
"""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE_HOST = "ideas.example.com"  # server_name in deploy/nginx.conf


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def migrated_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "KYOSO_INSTANCE_PATH": str(path.parent)}
    subprocess.run([str(GUNICORN.with_name("flask")), "--app", "wsgi", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def timed_get(port: int, path: str = "/", timeout: float = 60.0, *, tls: bool = False,
              host: str | None = None) -> float | None:
    """Seconds until a fresh connection got a whole answer below 500; None if it never did."""
    started = time.perf_counter()
    if tls:
        context = ssl._create_unverified_context()  # the test's self-signed certificate
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                                 context=context)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host or SITE_HOST})
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - started if response.status < 500 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def open_idle(port: int, count: int) -> list[socket.socket]:
    """Connections that are open and say nothing."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sockets.append(sock)
    return sockets


def start_slowloris(port: int, count: int, stop: threading.Event,
                    seconds: float = 120.0) -> list[threading.Thread]:
    """`count` connections that send a request's headers a few bytes a second and never finish
    (one thread drives them all; it stops at `stop` or after `seconds`)."""
    if count <= 0:
        return []

    def run() -> None:
        sockets = []
        for _ in range(count):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(f"GET / HTTP/1.1\r\nHost: {SITE_HOST}\r\n".encode())
                sockets.append(sock)
            except OSError:
                pass
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline and sockets:
            for sock in list(sockets):
                try:
                    sock.sendall(b"X-a: b\r\n")
                except OSError:  # the server gave up on it: as it should
                    sockets.remove(sock)
            stop.wait(1.0)
        for sock in sockets:
            sock.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return [thread]


def _wait_until_answering(port: int, seconds: float, process: subprocess.Popen, log: Path,
                          *, tls: bool = False) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        if timed_get(port, "/", timeout=2, tls=tls) is not None:
            return
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class GunicornServer:
    """gunicorn serving wsgi:app on a free port: with deploy/gunicorn.conf.py, or (config=None)
    gunicorn's default sync workers for comparison."""

    def __init__(self, work: Path, env: dict[str, str], *, config: Path | None,
                 sync_workers: int = 5, start_seconds: float = 60.0) -> None:
        self.work, self.config, self.start_seconds = work, config, start_seconds
        self.port = free_port()
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.sync_workers = sync_workers
        self.log = work / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        args = [str(GUNICORN), "--no-control-socket"]  # not one shared ~/.gunicorn/gunicorn.ctl
        if self.config is not None:
            args += ["-c", str(self.config)]
        else:
            args += ["--workers", str(self.sync_workers), "--bind", f"127.0.0.1:{self.port}"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([*args, "wsgi:app"], cwd=ROOT, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(self.port, self.start_seconds, self.process, self.log)
        except BaseException:
            _stop(self.process)
            raise
        return self

    def __exit__(self, *_exc) -> None:
        if self.process is not None:
            _stop(self.process)


def nginx_site(upstream_port: int, http_port: int, https_port: int, static: Path,
               certificate: Path, key: Path, logs: Path) -> str:
    """deploy/nginx.conf with this machine's ports and paths put in."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements = {
        "server 127.0.0.1:8000": f"server 127.0.0.1:{upstream_port}",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen 443 ssl http2 default_server;":
            f"listen 127.0.0.1:{https_port} ssl http2 default_server;",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/srv/kyoso/static": str(static),
        f"/etc/letsencrypt/live/{SITE_HOST}/fullchain.pem": str(certificate),
        f"/etc/letsencrypt/live/{SITE_HOST}/privkey.pem": str(key),
        "/var/log/nginx/": f"{logs}/",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line)


class NginxServer:
    """nginx with deploy/nginx.conf in front of gunicorn; `port` is its HTTPS port."""

    def __init__(self, work: Path, *, upstream_port: int) -> None:
        self.work = work / "nginx"
        self.upstream_port = upstream_port
        self.http_port, self.port = free_port(), free_port()
        self.process: subprocess.Popen | None = None

    def _configure(self) -> Path:
        work = self.work
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (work / name).mkdir(parents=True, exist_ok=True)
            (work / name).chmod(0o777)
        for folder in (work, *work.parents):
            if folder == Path("/"):
                break
            folder.chmod(folder.stat().st_mode | 0o005)  # nginx's workers read static files
        certificate, key = work / "cert.pem", work / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={SITE_HOST}", "-keyout", str(key), "-out", str(certificate)],
                       check=True, capture_output=True)
        site = nginx_site(self.upstream_port, self.http_port, self.port, ROOT / "static",
                          certificate, key, work)
        mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
        main = work / "nginx-main.conf"
        main.write_text(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    {mime}
    default_type application/octet-stream;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
{site}
}}
""")
        return main

    def check(self) -> subprocess.CompletedProcess:
        """`nginx -t` on the configuration."""
        main = self._configure()
        return subprocess.run([NGINX, "-t", "-c", str(main), "-p", str(self.work)],
                              capture_output=True, text=True)

    def __enter__(self) -> NginxServer:
        main = self._configure()
        log = self.work / "stderr.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen([NGINX, "-c", str(main), "-p", str(self.work)],
                                            stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_answering(self.port, 20, self.process, log, tls=True)
        except BaseException:
            _stop(self.process)
            raise
        return self

    def __exit__(self, *_exc) -> None:
        if self.process is not None:
            _stop(self.process)
