import contextlib
import json
import logging
import os
import re
import runpy
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
# Each limit: its environment variable, the settings it sets, and its documented default.
LIMITS = {
    "THREADS": (("threads",), 64),
    "SILENT_CLIENT_TIMEOUT": (("silent_client_timeout_seconds",), 5),
    "IDLE_TIMEOUT": (("keepalive",), 5),
    "MAX_HEADER_BYTES": (("limit_request_line", "limit_request_field_size"), 8190),
}


def load_conf(monkeypatch, **environment):
    for name in ("PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", *LIMITS):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_binds_all_interfaces_on_the_default_port(monkeypatch):
    assert load_conf(monkeypatch)["bind"] == "0.0.0.0:{{ cookiecutter.port }}"


def test_port_comes_from_the_environment(monkeypatch):
    assert load_conf(monkeypatch, PORT="9999")["bind"] == "0.0.0.0:9999"


def test_web_concurrency_sets_the_workers(monkeypatch):
    assert load_conf(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


def cgroup_v2(tmp_path, cpu_max):
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    return tmp_path


def cgroup_v1(tmp_path, quota, period="100000"):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(quota + "\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(period + "\n")
    return tmp_path


@pytest.mark.parametrize(
    ("make_cgroup", "limit"),
    [
        (lambda path: cgroup_v2(path, "max 100000"), None),
        (lambda path: cgroup_v2(path, "100000 100000"), 1),
        (lambda path: cgroup_v2(path, "150000 100000"), 2),  # --cpus 1.5: rounded up
        (lambda path: cgroup_v2(path, "10000 100000"), 1),  # limits.cpu: 100m
        (lambda path: cgroup_v1(path, "-1"), None),
        (lambda path: cgroup_v1(path, "300000"), 3),
        (lambda path: path, None),  # no cgroup files at all (not Linux, or not mounted)
    ],
    ids=["v2-unlimited", "v2-1", "v2-1.5", "v2-100m", "v1-unlimited", "v1-3", "none"],
)
def test_cpu_limit_is_read_from_the_cgroup(monkeypatch, tmp_path, make_cgroup, limit):
    assert load_conf(monkeypatch)["cpu_limit"](make_cgroup(tmp_path)) == limit


@pytest.mark.parametrize(
    ("cpus", "cpu_max", "workers"),
    [
        (1, "max 100000", 1),
        (2, "max 100000", 2),
        (16, "200000 100000", 2),
        (2, "400000 100000", 2),
        (64, "max 100000", 8),
        (64, "1200000 100000", 8),
    ],
)
def test_default_workers_are_one_per_usable_cpu_capped(monkeypatch, tmp_path, cpus, cpu_max, workers):
    conf = load_conf(monkeypatch)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cpus)), raising=False)

    assert conf["default_workers"](cgroup_v2(tmp_path, cpu_max)) == workers


def test_nothing_is_written_to_the_image_filesystem(monkeypatch):
    conf = load_conf(monkeypatch)

    assert conf["worker_tmp_dir"] == "/dev/shm"
    assert conf["accesslog"] == conf["errorlog"] == "-"
    assert conf["control_socket_disable"] is True


def test_graceful_timeout_fits_kubernetes_grace_period(monkeypatch):
    assert load_conf(monkeypatch)["graceful_timeout"] < 30


def test_forwarded_allow_ips_comes_from_the_environment(monkeypatch):
    assert load_conf(monkeypatch, FORWARDED_ALLOW_IPS="10.0.0.0/8")["forwarded_allow_ips"] == "10.0.0.0/8"


def test_app_is_imported_once_before_the_workers_fork(monkeypatch):
    assert load_conf(monkeypatch)["preload_app"] is True


def test_workers_are_threaded_so_a_slow_client_holds_one_thread_not_a_worker(monkeypatch):
    assert load_conf(monkeypatch)["worker_class"] == "gthread"


@pytest.mark.parametrize("variable", LIMITS)
def test_limit_has_its_documented_default(monkeypatch, variable):
    settings, default = LIMITS[variable]
    conf = load_conf(monkeypatch)

    assert [conf[setting] for setting in settings] == [default] * len(settings)


@pytest.mark.parametrize("variable", LIMITS)
def test_limit_comes_from_the_environment(monkeypatch, variable):
    settings, _ = LIMITS[variable]
    conf = load_conf(monkeypatch, **{variable: "3"})

    assert [conf[setting] for setting in settings] == [3] * len(settings)


def test_headers_are_at_most_100(monkeypatch):
    assert load_conf(monkeypatch)["limit_request_fields"] == 100


def test_accepted_connections_inherit_the_read_timeout(monkeypatch):
    conf = load_conf(monkeypatch, SILENT_CLIENT_TIMEOUT="7")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        conf["when_ready"](SimpleNamespace(LISTENERS=[SimpleNamespace(sock=listener)]))
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                timeout = accepted.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.calcsize("ll"))

    assert struct.unpack("ll", timeout) == (7, 0)


def test_a_stop_signal_sent_while_a_worker_boots_still_stops_it(tmp_path):
    # The project's settings, with one second added between a worker's fork and its own signal handlers: the
    # window in which gunicorn alone loses the signal and the worker lives on until graceful_timeout (20 s).
    slow_boot = tmp_path / "slow_boot.conf.py"
    settings = f"exec(open({str(CONF)!r}).read())"
    lines = [settings, "import time", "def post_fork(server, worker):", "    time.sleep(1)"]
    slow_boot.write_text("\n".join(lines) + "\n")
    command = [sys.executable, "-m", "gunicorn", "-c", slow_boot, "-b", "127.0.0.1:0", "-w", "1", "app:app"]
    with subprocess.Popen(command, cwd=CONF.parent, stderr=subprocess.PIPE, text=True) as master:
        try:
            for line in master.stderr:
                if "Booting worker" in line:  # the worker logs this just after its fork
                    break
            started = time.monotonic()
            os.kill(master.pid, signal.SIGTERM)
            master.communicate(timeout=15)
        finally:
            master.kill()
    seconds = time.monotonic() - started

    assert master.returncode == 0
    assert seconds < 5


# The Go template's log fields (log/slog's JSON handler), which this service's logs share.
ACCESS_LOG_FIELDS = {"time", "level", "msg", "method", "path", "status", "duration_ms", "client_ip"}


def serve_and_stop(tmp_path, *paths):
    """Run gunicorn with this project's settings, GET each path and stop it: its (stdout, stderr) lines."""
    command = [sys.executable, "-m", "gunicorn", "-c", str(CONF), "-b", "127.0.0.1:0", "-w", "1", "app:app"]
    errors = []
    with subprocess.Popen(
        command, cwd=CONF.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as master:
        try:
            for line in master.stderr:
                errors.append(line)
                listening = re.search(r"Listening at: (http://\S+)", json.loads(line)["msg"])
                if listening:
                    break
            for path in paths:
                with contextlib.suppress(urllib.error.HTTPError):  # an error status is logged like any other
                    urllib.request.urlopen(listening.group(1) + path, timeout=5).close()
            os.kill(master.pid, signal.SIGTERM)
            out, err = master.communicate(timeout=15)
        finally:
            master.kill()
    return out.splitlines(), errors + err.splitlines()


def test_each_request_is_one_json_line_with_the_go_services_fields(tmp_path):
    out, _ = serve_and_stop(tmp_path, "/", "/healthz", "/missing")
    requests = [json.loads(line) for line in out]

    assert [(entry["method"], entry["path"], entry["status"]) for entry in requests] == [
        ("GET", "/", 200),
        ("GET", "/missing", 404),
    ]
    for entry in requests:
        assert set(entry) == ACCESS_LOG_FIELDS
        assert (entry["level"], entry["msg"], entry["client_ip"]) == ("INFO", "request", "127.0.0.1")
        assert entry["duration_ms"] >= 0


def test_gunicorns_own_messages_are_json_lines_too(tmp_path):
    _, err = serve_and_stop(tmp_path)
    entries = [json.loads(line) for line in err if line.strip()]

    assert {"time", "level", "msg"} <= set(entries[0])
    assert any(entry["msg"].startswith("Booting worker") for entry in entries)


def test_a_logged_exception_keeps_its_traceback_in_one_json_line(monkeypatch):
    formatter = load_conf(monkeypatch)["JsonLines"]()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())

    line = formatter.format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["msg"]) == ("ERROR", "failed")
    assert "ValueError: boom" in entry["error"]
