"""nginx in front of the service processes: its configuration, and nginx as a child process.

The configuration routes exactly as the split gateway does (`services/gateway/domain/routing.py`
is the one table of which service owns a path): HTTP goes to the least busy replica
(`least_conn`), `/socket.io` sticks to one booking replica per client address (`ip_hash`:
Socket.IO's long-polling handshake and its WebSocket upgrade must reach the same process), and
errors nginx makes itself (no replica answered) come in the API's error shape.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tiketi.services.gateway.domain.routing import PREFIXES

NGINX = "/usr/sbin/nginx"

# The regex location that carves the seat map out of catalog's /api/v1/events (as routing.py).
SEATS_LOCATION = r"~ ^/api/v1/events/[^/]+/seats(?:/.*)?$"

# Errors nginx answers itself, in the API's shape (API.md: {"error": {"code", "message"}}).
OWN_ERRORS = {
    502: ("BAD_GATEWAY", "No replica of this service answered; try again."),
    504: ("GATEWAY_TIMEOUT", "The service did not answer in time; try again."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large."),
}


@dataclass(frozen=True)
class Upstreams:
    """Loopback ports of every service's replicas, by service name."""

    ports: Mapping[str, Sequence[int]]

    def servers(self, service: str) -> list[str]:
        """`server` lines of one service's replicas.

        max_fails/fail_timeout: a killed replica is skipped for two seconds after one refused
        connection, then tried again (it may have been restarted on the same port).
        """
        return [
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"
            for port in self.ports.get(service, ())
        ]


def _nobody_group() -> str:
    """Debian calls nobody's group `nogroup`; others call it `nobody`."""
    try:
        grp.getgrnam("nogroup")
    except KeyError:
        return "nobody"
    return "nogroup"


def _error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))


def _locations(upstreams: Upstreams) -> list[str]:
    """One location per routed prefix (whole segments only: `/api/v1/auth` and below)."""
    lines: list[str] = []
    for prefix, service in PREFIXES:
        if service not in upstreams.ports or prefix == "/socket.io":
            continue
        for match in (f"= {prefix}", f"{prefix}/"):
            lines.append(f"location {match} {{ proxy_pass http://{service}; }}")
    if "booking" in upstreams.ports:
        lines.append(f"location {SEATS_LOCATION} {{ proxy_pass http://booking; }}")
        lines += [
            "location /socket.io/ {",
            "    proxy_pass http://booking_sockets;",
            "    proxy_set_header Upgrade $http_upgrade;",
            "    proxy_set_header Connection $connection_upgrade;",
            "    proxy_buffering off;",
            "    proxy_read_timeout 1h;",
            "    proxy_send_timeout 1h;",
            "    # Which replica a client is pinned to: for operators, and for the tests.",
            "    add_header X-Tiketi-Upstream $upstream_addr always;",
            "}",
        ]
    return lines


def _upstream_blocks(upstreams: Upstreams) -> list[str]:
    lines: list[str] = []
    for service in upstreams.ports:
        lines += [f"upstream {service} {{", "    least_conn;"]
        lines += [f"    {server}" for server in upstreams.servers(service)]
        lines += ["    keepalive 64;", "}"]
    if "booking" in upstreams.ports:
        lines += ["upstream booking_sockets {", "    ip_hash;"]
        lines += [f"    {server}" for server in upstreams.servers("booking")]
        lines += ["}"]
    return lines


def render(
    *, prefix: Path, port: int, upstreams: Upstreams, worker_connections: int = 20000
) -> str:
    """nginx.conf for a foreground nginx whose files all live under `prefix`."""
    # As root, nginx's worker drops to an unprivileged user (it only proxies).
    user = f"user nobody {_nobody_group()};" if os.geteuid() == 0 else ""
    temp = {
        name: prefix / "tmp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    error_pages = [f"error_page {status} /_tiketi_errors/{status};" for status in OWN_ERRORS]
    error_locations = [
        f"location = /_tiketi_errors/{status} {{ internal; default_type application/json; "
        f"return {status} '{_error_body(code, message)}'; }}"
        for status, (code, message) in OWN_ERRORS.items()
    ]
    not_found = _error_body("NOT_FOUND", "No such route.")
    # Every client connection may hold an upstream connection as well.
    nofile = worker_connections * 2 + 100
    body = [
        user,
        "worker_processes 1;",
        f"worker_rlimit_nofile {nofile};",
        f"pid {prefix / 'nginx.pid'};",
        f"error_log {prefix / 'error.log'} warn;",
        f"events {{ worker_connections {worker_connections}; multi_accept on; }}",
        "http {",
        *[f"    {key}_temp_path {path};" for key, path in temp.items()],
        '    log_format upstream \'$remote_addr [$time_iso8601] "$request" $status '
        "$request_time $upstream_addr $upstream_status $upstream_response_time "
        "$http_x_request_id';",
        f"    access_log {prefix / 'access.log'} upstream buffer=64k flush=1s;",
        "    server_tokens off;",
        "    client_max_body_size 8m;",
        "    map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
        *[f"    {line}" for line in _upstream_blocks(upstreams)],
        "    server {",
        f"        listen 127.0.0.1:{port} backlog=4096;",
        "        proxy_http_version 1.1;",
        "        proxy_set_header Host $http_host;",
        "        proxy_set_header Connection '';",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        # A request that never reached a replica (refused: it was killed) goes to the next;
        # nginx never re-sends a POST a replica may have started on (no non_idempotent).
        "        proxy_next_upstream error timeout;",
        "        proxy_next_upstream_tries 3;",
        "        proxy_connect_timeout 2s;",
        "        proxy_read_timeout 60s;",
        *[f"        {line}" for line in error_pages],
        *[f"        {line}" for line in error_locations],
        "        location = /health { default_type application/json; "
        'return 200 \'{"status":"ok"}\'; }',
        *[f"        {line}" for line in _locations(upstreams)],
        f"        location / {{ default_type application/json; return 404 '{not_found}'; }}",
        "    }",
        "}",
    ]
    return "\n".join(line for line in body if line) + "\n"


class Nginx:
    """nginx in the foreground under its own prefix directory (config, logs, temp files)."""

    def __init__(self, prefix: Path, port: int, upstreams: Upstreams) -> None:
        self.prefix = prefix
        self.port = port
        self.upstreams = upstreams
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        """The generated nginx.conf."""
        return self.prefix / "nginx.conf"

    def write(self) -> None:
        """Write nginx.conf and the directories it names (writable by nginx's worker user)."""
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        connections = 20000 if limit == resource.RLIM_INFINITY else max(1024, limit // 2 - 100)
        text = render(
            prefix=self.prefix,
            port=self.port,
            upstreams=self.upstreams,
            worker_connections=min(20000, connections),
        )
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            path = self.prefix / "tmp" / name
            path.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        self.config.write_text(text)

    def check(self) -> None:
        """`nginx -t`: refuse to start with a configuration nginx rejects."""
        done = subprocess.run(  # noqa: S603 - a fixed binary and our own files
            [binary(), "-t", "-q", "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
             "-c", str(self.config)],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"nginx rejected {self.config}:\n{done.stderr}")

    def start(self) -> None:
        """Write, check and start nginx (in its own session: the supervisor stops it)."""
        self.write()
        self.check()
        with (self.prefix / "nginx.out").open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - a fixed binary and our own files
                [binary(), "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
                 "-c", str(self.config), "-g", "daemon off;"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful quit (SIGQUIT: finish requests in flight), SIGKILL past the timeout."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def binary() -> str:
    """The nginx executable (Debian's, else the first on PATH)."""
    if Path(NGINX).exists():
        return NGINX
    found = shutil.which("nginx")
    if found is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
    return found
