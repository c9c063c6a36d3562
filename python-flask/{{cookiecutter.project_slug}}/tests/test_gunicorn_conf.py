import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load_conf(monkeypatch, **environment):
    for name in ("PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
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


@pytest.mark.parametrize("cpus, workers", [(1, 3), (2, 5), (64, 8)])
def test_default_workers_are_two_per_cpu_plus_one_capped(monkeypatch, cpus, workers):
    conf = load_conf(monkeypatch)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cpus)), raising=False)

    assert conf["default_workers"]() == workers


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
