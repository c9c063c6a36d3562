"""Services that keep answering under slow, abusive and heavy clients: every runtime of both templates, and the seed.

Every client here talks to 127.0.0.1 only, and every wait is bounded: a socket timeout, a fixed request count,
a time cap. The images are the ones test_images.py builds (every runtime once), so no image is built for this file
alone except the seed's, which test_python_flask.py builds too.
"""

import contextlib
import http.client
import socket
import time

import containers
import load
import pytest
from conftest import REPO, template_options
from test_images import CASES

pytestmark = pytest.mark.image

SEED_PYTHON = REPO / "benchmarks" / "seed" / "python-multi-stage.Dockerfile"
SEED_PYTHON_PORT = "8000"
SLOW_CLIENTS = 50
ANSWER_WITHIN_SECONDS = 2
# A request cut off in the middle of a header line: the server has to wait for the rest
HALF_A_HEADER = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slo"
HEADER_LINE_BYTES = 64 * 1024
ANNOUNCED_BODY_BYTES = 20 * 1000**2
# A limit set to 1 s must show within this; every default is at least 5 s
SHORT_LIMIT_SECONDS = 1
SHORT_LIMIT_SHOWS_WITHIN_SECONDS = 3.5
# The bounded load test: a fixed count at a moderate concurrency, with a cap far above what it needs
LOAD_REQUESTS = 1000
LOAD_CONCURRENCY = 16
LOAD_TIME_CAP_SECONDS = 60
# The one difference between the templates' limits: gunicorn can bound the silence while a request is read (every
# recv), Go's server the time the whole header takes to arrive
READ_TIMEOUT_VARIABLE = {"go-gin": "READ_HEADER_TIMEOUT", "python-flask": "SILENT_CLIENT_TIMEOUT"}

DEFAULT_CASES = [case for case in CASES if case.options["runtime"] == template_options(case.template)["runtime"][0]]


@pytest.fixture(scope="module", params=CASES, ids=str)
def served(request, images):
    """One container per runtime, answering, shared by the tests that only send it requests: (case, host port)."""
    case = request.param
    container, host_port = containers.run_detached(images.get(case.template, **case.options).tag, case.port)
    containers.wait_for_http(f"http://127.0.0.1:{host_port}/healthz")
    yield case, host_port
    containers.remove(container)


@contextlib.contextmanager
def clients_holding_half_a_header(port, count=SLOW_CLIENTS):
    """`count` connections that have each sent half a request header and then say nothing, until the block ends."""
    with contextlib.ExitStack() as stack:
        for _ in range(count):
            client = stack.enter_context(socket.create_connection((load.LOOPBACK, port), timeout=5))
            client.sendall(HALF_A_HEADER)
        yield


def timed_answer(port, request, timeout=ANSWER_WITHIN_SECONDS):
    """Send raw request bytes on a new connection: (status of the answer, seconds it took)."""
    started = time.monotonic()
    with socket.create_connection((load.LOOPBACK, port), timeout=timeout) as connection:
        # A server may refuse a request before it has read all of it, and close the connection on the rest
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, time.monotonic() - started


def normal_request(case):
    return f"GET {case.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()


def seconds_until_closed(connection, at_most):
    """Seconds until the server closes this connection, read with a deadline."""
    started = time.monotonic()
    connection.settimeout(at_most)
    with contextlib.suppress(ConnectionResetError):
        while connection.recv(4096):
            pass
    return time.monotonic() - started


def test_answers_within_2_s_while_50_clients_hold_half_a_header(served):
    case, port = served
    with clients_holding_half_a_header(port):
        status, seconds = timed_answer(port, normal_request(case))
    assert status == 200
    assert seconds < ANSWER_WITHIN_SECONDS


def test_seed_python_image_stops_answering_while_50_clients_hold_half_a_header(images, start):
    image = images.seed(SEED_PYTHON, "seed-python", "python-flask").tag
    _, port = start(image, SEED_PYTHON_PORT, *containers.SEED_PYTHON_RUN_ARGS)
    containers.wait_for_http(f"http://127.0.0.1:{port}/")
    with clients_holding_half_a_header(port), pytest.raises(TimeoutError):
        timed_answer(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")


def test_64_kib_header_line_gets_a_4xx_within_2_s_and_the_service_still_answers(served):
    case, port = served
    oversized = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * HEADER_LINE_BYTES + b"\r\n\r\n"
    status, seconds = timed_answer(port, oversized)
    assert 400 <= status < 500
    assert seconds < ANSWER_WITHIN_SECONDS
    assert timed_answer(port, normal_request(case))[0] == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_announced_20_mb_body_gets_413_within_2_s_unsent_and_the_service_still_answers(served, method):
    case, port = served
    # Only the headers go out: an answer within 2 s shows the server did not wait for the body
    announcing = f"{method} {case.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {ANNOUNCED_BODY_BYTES}\r\n\r\n"
    status, seconds = timed_answer(port, announcing.encode())
    assert status == 413
    assert seconds < ANSWER_WITHIN_SECONDS
    assert timed_answer(port, normal_request(case))[0] == 200


@contextlib.contextmanager
def connected(images, start, case, variable, value):
    """A connection to a fresh container of the case's image, started with one setting changed and answering."""
    _, port = start(images.get(case.template, **case.options).tag, case.port, "-e", f"{variable}={value}")
    containers.wait_for_http(f"http://127.0.0.1:{port}/healthz")
    with socket.create_connection((load.LOOPBACK, port), timeout=5) as client:
        yield client


@pytest.mark.parametrize("case", DEFAULT_CASES, ids=str)
def test_client_silent_in_the_middle_of_a_header_is_dropped_after_the_read_timeout(images, start, case):
    with connected(images, start, case, READ_TIMEOUT_VARIABLE[case.template], SHORT_LIMIT_SECONDS) as client:
        client.sendall(HALF_A_HEADER)
        assert seconds_until_closed(client, at_most=10) < SHORT_LIMIT_SHOWS_WITHIN_SECONDS


@pytest.mark.parametrize("case", DEFAULT_CASES, ids=str)
def test_idle_kept_alive_connection_is_closed_after_the_idle_timeout(images, start, case):
    with connected(images, start, case, "IDLE_TIMEOUT", SHORT_LIMIT_SECONDS) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        response = http.client.HTTPResponse(client)
        response.begin()
        response.read()
        assert response.status == 200
        assert not response.will_close  # kept alive, so only the idle timeout closes it
        assert seconds_until_closed(client, at_most=70) < SHORT_LIMIT_SHOWS_WITHIN_SECONDS


@pytest.mark.parametrize("case", DEFAULT_CASES, ids=str)
def test_bounded_load_test_has_no_failed_requests(images, start, case):
    image = images.get(case.template, **case.options).tag
    _, port = start(image, case.port)
    containers.wait_for_http(f"http://127.0.0.1:{port}/healthz")
    result = load.run_load(port, case.path, LOAD_REQUESTS, LOAD_CONCURRENCY, LOAD_TIME_CAP_SECONDS)
    assert (result.errors, result.unsent) == (0, 0), result
    assert len(result.latencies) == LOAD_REQUESTS
