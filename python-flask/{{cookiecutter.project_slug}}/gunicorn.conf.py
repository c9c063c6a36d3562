"""gunicorn reads this file from its working directory; every setting comes from the environment.

Nothing here writes to the image's filesystem, so the container runs with a read-only root.
"""

import json
import logging
import math
import os
import signal
import socket
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gunicorn.glogging import Logger

MAX_DEFAULT_WORKERS = 8
CGROUP = Path("/sys/fs/cgroup")


def cpu_limit(cgroup=CGROUP):
    """The container's CPU limit, rounded up to whole CPUs, or None when it has none.

    `docker run --cpus` and Kubernetes' `limits.cpu` set it as a CFS quota: cgroup v2's cpu.max ("max 100000"
    when unlimited), cgroup v1's cpu.cfs_quota_us (-1 when unlimited) over cpu.cfs_period_us.
    """
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()
        return None if quota == "max" else max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    try:
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else max(1, math.ceil(quota / period))
    except (OSError, ValueError):
        return None


def default_workers(cgroup=CGROUP):
    """One worker process per CPU the container may use, at most 8.

    The CPUs are the container's CPU limit where it has one (a Kubernetes pod with limits.cpu: 1 gets one
    worker, however many CPUs the node has), else the CPUs it may run on. Each worker is threaded and serves
    up to THREADS requests at once, so more processes than CPUs would add memory and start-up, not capacity.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cpu_limit(cgroup) or cpus, cpus, MAX_DEFAULT_WORKERS)


bind = f"0.0.0.0:{os.environ.get('PORT', '{{ cookiecutter.port }}')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())

# Slow clients. A sync worker holds one connection from its first byte to its last, so ten clients that send
# half a request and wait stop the service. gthread workers wait for idle and kept-alive connections without a
# thread, and hand a connection to a thread once bytes arrive: a client that then stalls holds that thread
# for at most SILENT_CLIENT_TIMEOUT seconds (see when_ready), and THREADS per worker leave free threads for
# everyone else meanwhile. Threads start only when needed, so an idle service costs no more than before.
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "64"))
silent_client_timeout_seconds = int(os.environ.get("SILENT_CLIENT_TIMEOUT", "5"))
# Seconds a kept-alive connection may wait for its next request (gunicorn's own default is 2).
keepalive = int(os.environ.get("IDLE_TIMEOUT", "5"))

# What one request may send. An over-long request line is answered 414, an over-long header 431, more than
# 100 headers 400; all before the application runs. app.py answers 413 for a body over MAX_BODY_BYTES.
limit_request_line = int(os.environ.get("MAX_HEADER_BYTES", "8190"))
limit_request_field_size = limit_request_line
limit_request_fields = 100

# Import the app once, in the master, before the workers fork: they share its memory pages instead of each
# importing Flask again (measured, 5 workers: idle memory 114 -> 44 MiB, start-up unchanged). The price: code
# must not open connections, files or threads at import time (the workers would share them); do that lazily
# or in a post_fork hook.
preload_app = True

# Workers touch a heartbeat file; a tmpfs keeps it off a read-only (or slow, overlay) disk.
worker_tmp_dir = "/dev/shm"

# "-" is the process's own output: gunicorn writes the access log to stdout and its error log to stderr,
# and the container engine collects both.
accesslog = "-"
errorlog = "-"

# Logs are JSON lines with the Go template's field names (log/slog's JSON handler): time, level, msg, and
# for each request method, path, status, duration_ms and client_ip, so a log collector reads both services
# alike. One line per request; health probes that succeed are left out, as the Go service does.
UNLOGGED_PROBE = ("/healthz", 200)
SLOG_LEVEL_NAMES = {"WARNING": "WARN"}


class JsonLines(logging.Formatter):
    """One JSON object per log record, on one line; a traceback goes into an "error" field."""

    def format(self, record):
        created = datetime.fromtimestamp(record.created, UTC)
        entry = {
            "time": created.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "level": SLOG_LEVEL_NAMES.get(record.levelname, record.levelname),
            "msg": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class JsonAccessLogger(Logger):
    """gunicorn's logger, with each request logged as named fields instead of a formatted string."""

    def access(self, resp, req, environ, request_time):
        code = str(resp.status).split(None, 1)[0]
        status = int(code) if code.isdigit() else None  # None: the application failed before it set one
        path = environ.get("PATH_INFO", "")
        if (path, status) == UNLOGGED_PROBE:
            return
        fields = {
            "method": environ.get("REQUEST_METHOD", ""),
            "path": path,
            "status": status,
            "duration_ms": round(request_time / timedelta(milliseconds=1), 3),
            "client_ip": environ.get("REMOTE_ADDR", ""),
        }
        self.access_log.info("request", extra={"fields": fields})


logger_class = JsonAccessLogger
# gunicorn merges this into its own logging configuration (glogging.CONFIG_DEFAULTS): the same streams as
# above, each line JSON, each record written once (not again by the root logger, which the application's
# own logs reach). gunicorn.error has no level here, so that gunicorn's loglevel setting still applies.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
    "formatters": {"json": {"()": JsonLines}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
}

# Kubernetes sends SIGKILL 30 s after SIGTERM: finish in-flight requests well before that.
graceful_timeout = 20

# Which proxies may set X-Forwarded-* headers (comma-separated IPs or networks); only the loopback by default.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 25.1+ opens a control socket under $HOME by default: a write to the image's filesystem.
control_socket_disable = True


def when_ready(server):
    """Give every listening socket a receive timeout, which each accepted connection inherits (Linux).

    gunicorn has no setting for it: a thread reading a request blocks in recv() with no time limit. With
    SO_RCVTIMEO, recv() gives up after SILENT_CLIENT_TIMEOUT seconds of silence, and gunicorn closes the
    connection.
    """
    seconds = struct.pack("ll", silent_client_timeout_seconds, 0)  # struct timeval: seconds, microseconds
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, seconds)


# A stop signal that reaches a worker between its fork and the moment it installs its own handlers is
# caught by the master's handler, which the worker still carries, and is lost: that worker then lives
# until graceful_timeout and the engine kills the container (gunicorn issue 1910; seen here as exit 137
# from a `docker stop` sent just after the first answer, while later workers were still booting). So the
# master blocks the stop signals around each fork, and the worker unblocks them once its handlers are in
# place: a signal sent meanwhile waits, then acts.
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}


def pre_fork(server, worker):
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def unblock_stop_signals():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


# The master's side of the fork; gunicorn has no hook there.
os.register_at_fork(after_in_parent=unblock_stop_signals)


def post_worker_init(worker):
    unblock_stop_signals()
