"""What every generated image must do, whatever the template and runtime: checked on a real engine."""

import json
import re
from dataclasses import dataclass

import containers
import pytest
from conftest import DEFAULT_NAMES

pytestmark = pytest.mark.image


@dataclass(frozen=True)
class Case:
    template: str
    options: dict
    port: str
    path: str  # the seed's contract: the route and its answer
    answer: object
    has_shell: bool = False

    def __str__(self):
        return f"{self.template}-{self.options['runtime']}-{self.port}"


PONG = {"message": "pong"}
HELLO = "Hello, World!"
# Representative combinations: every runtime once, and a port other than the default for each template.
CASES = [
    Case("go-gin", {"runtime": "scratch"}, "8080", "/ping", PONG),
    Case("go-gin", {"runtime": "distroless", "port": "9090"}, "9090", "/ping", PONG),
    Case("python-flask", {"runtime": "distroless"}, "8000", "/", HELLO),
    Case("python-flask", {"runtime": "scratch", "port": "9000"}, "9000", "/", HELLO),
    Case("python-flask", {"runtime": "slim"}, "8000", "/", HELLO, has_shell=True),
]


@pytest.fixture(scope="module", params=CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture(scope="module")
def image(images, case):
    return images.get(case.template, **case.options).tag


@pytest.fixture(scope="module")
def served(image, case):
    """One read-only container per case, shared by the tests that only look at it."""
    container, host_port = containers.run_detached(image, case.port, "--read-only")
    yield container, f"http://127.0.0.1:{host_port}"
    containers.remove(container)


def test_answers_the_seed_route_on_the_chosen_port(served, case):
    _, url = served
    status, body, _ = containers.wait_for_http(url + case.path)
    assert status == 200
    assert (json.loads(body) if isinstance(case.answer, dict) else body) == case.answer


def test_healthz_answers_200(served):
    _, url = served
    status, _, _ = containers.wait_for_http(url + "/healthz")
    assert status == 200


def test_healthcheck_reports_healthy(served):
    container, _ = served
    health = containers.wait_for_state(container, "{{.State.Health.Status}}", {"healthy", "unhealthy"}, 90)
    assert health == "healthy"


def test_serves_with_a_read_only_root_filesystem(served):
    container, url = served
    assert containers.inspect(container)["HostConfig"]["ReadonlyRootfs"] is True
    containers.wait_for_http(url + "/healthz")
    assert containers.inspect(container)["State"]["Running"] is True


def test_runs_as_a_numeric_non_root_user(image, served):
    user = containers.inspect(image)["Config"]["User"]
    assert re.fullmatch(r"[0-9]+(:[0-9]+)?", user), f"USER {user!r} is not numeric"
    container, url = served
    containers.wait_for_http(url + "/healthz")
    processes = containers.docker("top", container, "-eo", "pid,uid").stdout.splitlines()[1:]
    uids = [line.split()[1] for line in processes]
    assert uids and all(uid != "0" for uid in uids)


def test_shell_is_present_only_where_the_runtime_promises_one(image, case):
    done = containers.docker("run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "true", check=False)
    assert (done.returncode == 0) is case.has_shell


def test_stops_with_status_0_within_3_s_of_docker_stop(image, case, start):
    container, host_port = start(image, case.port, "--read-only")
    containers.wait_for_http(f"http://127.0.0.1:{host_port}/healthz")
    seconds, exit_code = containers.stop(container)
    assert exit_code == 0
    assert seconds < 3


# One shape of log for both templates (the Go service's, log/slog's JSON handler): one JSON line per request.
ACCESS_LOG_FIELDS = {"time", "level", "msg", "method", "path", "status", "duration_ms", "client_ip"}


def test_one_request_gives_one_json_access_log_line_and_every_line_is_json(image, case, start):
    container, host_port = start(image, case.port, "--read-only")
    containers.wait_for_http(f"http://127.0.0.1:{host_port}/healthz")  # a probe that succeeds is not logged
    status, _, _ = containers.wait_for_http(f"http://127.0.0.1:{host_port}{case.path}")
    containers.stop(container)
    logs = containers.docker("logs", container)
    lines = [line for line in (logs.stdout + logs.stderr).splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    requests = [entry for entry in entries if entry["msg"] == "request"]

    assert len(requests) == 1, lines
    (entry,) = requests
    assert set(entry) == ACCESS_LOG_FIELDS
    assert (entry["method"], entry["path"], entry["status"], entry["level"]) == ("GET", case.path, status, "INFO")
    assert type(entry["duration_ms"]) in (int, float) and entry["duration_ms"] >= 0  # slog writes 2.0 as 2


def test_image_carries_oci_labels(image, case):
    labels = containers.inspect(image)["Config"]["Labels"]
    assert labels["org.opencontainers.image.title"] == DEFAULT_NAMES[case.template]
    assert labels["org.opencontainers.image.version"] == "dev"
    assert labels["org.opencontainers.image.revision"] == "unknown"
