"""The load generator (scripts/load.py) and the benchmark columns built on it, against a local stdlib server."""

import contextlib
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import load
import pytest
from conftest import load_benchmark

QUICK_REQUESTS = 200


bench = load_benchmark()


@contextlib.contextmanager
def local_server(status=200, delay_seconds=0.0):
    """An HTTP/1.1 server on a free loopback port answering every GET with `status`: yields its port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the services under test do

        def do_GET(self):
            time.sleep(delay_seconds)
            body = b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_every_request_is_sent_and_answered_once():
    with local_server() as port:
        result = load.run_load(port, requests=QUICK_REQUESTS, concurrency=4, time_cap=30)
    assert (len(result.latencies), result.errors, result.unsent) == (QUICK_REQUESTS, 0, 0)
    assert result.requests_per_second > 0
    assert 0 < result.p99_seconds <= result.latencies[-1]


def test_non_2xx_answers_are_counted_as_errors():
    with local_server(status=500) as port:
        result = load.run_load(port, requests=20, concurrency=2, time_cap=30)
    assert (len(result.latencies), result.errors) == (0, 20)


def test_time_cap_stops_sending():
    with local_server(delay_seconds=0.1) as port:
        started = time.monotonic()
        result = load.run_load(port, requests=1000, concurrency=2, time_cap=0.5)
    assert time.monotonic() - started < 2
    assert result.unsent > 0


@pytest.mark.parametrize("host", ["192.0.2.1", "10.0.0.1", "::ffff:8.8.8.8"])
def test_refuses_any_address_but_the_loopback(host):
    with pytest.raises(ValueError, match="loopback"):
        load.run_load(80, host=host, requests=1)


@pytest.mark.parametrize(
    "values, rank, expected",
    [((1, 2, 3, 4), 50, 2), ((1, 2, 3, 4), 99, 4), (tuple(range(1, 101)), 99, 99), ((7,), 99, 7)],
)
def test_percentile_is_the_nearest_rank(values, rank, expected):
    assert load.percentile(values, rank) == expected


def test_percentile_of_nothing_is_not_a_number():
    assert math.isnan(load.percentile((), 99))


def test_benchmark_refuses_a_load_run_with_failed_requests(monkeypatch):
    monkeypatch.setattr(bench, "LOAD_REQUESTS", 10)
    with local_server(status=503) as port, pytest.raises(RuntimeError, match="10 failed"):
        bench.under_load(port, "/")


# What a benchmark run records about itself, as the table's first line shows it
TABLE_CONTEXT = {
    "date": "today",
    "machine": {"arch": "x86_64", "cores": 2, "memory_bytes": 2**30, "docker_engine": "test"},
    "base_images": "stand-in",
    "command": "make bench",
    "run_seconds": 60,
}


def table_lines(results):
    return [line for line in bench.markdown(results, TABLE_CONTEXT).splitlines() if line.startswith("|")]


def test_benchmark_table_shows_requests_per_second_and_p99_of_a_load_run(monkeypatch):
    monkeypatch.setattr(bench, "LOAD_REQUESTS", QUICK_REQUESTS)
    with local_server() as port:
        requests_per_second, p99 = bench.under_load(port, "/")
    seed, ours = bench.seed_subjects(bench.PYTHON)[1], bench.template_subjects(bench.PYTHON)[0]
    figures = bench.Figures(1, 1, 1, 1.0, 1.0, 1.0, 0.4, 1, requests_per_second, p99)
    faster = bench.Figures(1, 1, 1, 1.0, 1.0, 1.0, 0.2, 1, 2 * requests_per_second, p99 / 2)
    table = table_lines({seed: figures, ours: faster})
    header, rows = [cell.strip() for cell in table[0].strip("|").split("|")], table[2:]
    cells = {row.split("|")[1].strip(): [cell.strip() for cell in row.strip("|").split("|")] for row in rows}
    rate, latency = header.index("requests/s"), header.index("p99 latency")
    assert cells[seed.name][rate] == f"{bench.number(requests_per_second)} (1.00x)"
    assert cells[ours.name][rate] == f"{bench.number(2 * requests_per_second)} (2.00x)"
    assert cells[ours.name][latency] == f"{bench.number(p99 / 2 * 1000)} ms (0.50x)"
    assert cells[ours.name][header.index("import app")] == "0.20 s (0.50x)"


def test_benchmark_table_has_no_import_time_for_go():
    seed, ours = bench.seed_subjects(bench.GO)[1], bench.template_subjects(bench.GO)[0]
    figures = bench.Figures(1, 1, 1, 1.0, 1.0, 1.0, None, 1, 100.0, 0.01)
    table = table_lines({seed: figures, ours: figures})
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    for row in table[2:]:
        assert [cell.strip() for cell in row.strip("|").split("|")][header.index("import app")] == "n/a"


def test_benchmark_fails_a_python_image_that_starts_slower_than_its_limit():
    seed = bench.seed_subjects(bench.PYTHON)[1]
    distroless, scratch, slim = bench.template_subjects(bench.PYTHON)

    def starting_in(seconds):
        return bench.Figures(1, 1, 1, 1.0, 1.0, seconds, 0.2, 1, 100.0, 0.01)

    results = {seed: starting_in(1.0), distroless: starting_in(1.19), scratch: starting_in(1.01), slim: starting_in(9)}
    assert [line.split(" starts")[0] for line in bench.slow_starters(results)] == [scratch.name]


def test_benchmark_fails_a_python_image_whose_cold_build_is_slower_than_the_seed_s():
    seed = bench.seed_subjects(bench.PYTHON)[1]
    distroless, scratch, slim = bench.template_subjects(bench.PYTHON)

    def building_in(seconds):
        return bench.Figures(1, 1, 1, seconds, 1.0, 1.0, 0.2, 1, 100.0, 0.01)

    results = {seed: building_in(10.0), distroless: building_in(9.0), scratch: building_in(10.5), slim: building_in(10)}
    assert [line.split(" builds cold")[0] for line in bench.slow_builders(results)] == [scratch.name]
    assert len(bench.cold_build_ratios(results)) == 3
    assert "1.05x" in next(line for line in bench.cold_build_ratios(results) if scratch.name in line)
