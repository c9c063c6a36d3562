"""A small HTTP load generator, standard library only: shared by the suite's load tests and the benchmark.

A fixed number of GET requests from a pool of threads, each thread keeping one connection alive between its
requests (reconnecting when the server closes it), stopped early by a time cap. Loopback only: it refuses any
other address, so neither a test nor a benchmark can load somebody else's service.

    python3 scripts/load.py PORT [PATH] [--requests N] [--concurrency N] [--time-cap SECONDS]
"""

import argparse
import http.client
import ipaddress
import itertools
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class LoadResult:
    """What one load run saw: requests asked for, latencies of the answered ones, failures, wall time."""

    requested: int
    latencies: tuple[float, ...]  # seconds, sorted, of each request answered 2xx
    errors: int  # requests that failed: an exception, a timeout or a non-2xx status
    seconds: float

    @property
    def unsent(self):
        """Requests the time cap left unsent."""
        return self.requested - len(self.latencies) - self.errors

    @property
    def requests_per_second(self):
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p99_seconds(self):
        return percentile(self.latencies, 99)


def percentile(sorted_values, rank):
    """The nearest-rank percentile: the smallest value at or above `rank` per cent of the values."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(math.ceil(rank / 100 * len(sorted_values)) - 1, 0)]


def require_loopback(host):
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"{host} is not a loopback address: this load generator only loads this machine")


def run_load(port, path="/", requests=1000, concurrency=16, time_cap=60.0, host=LOOPBACK):
    """Send `requests` GETs to http://host:port/path from `concurrency` threads; stop sending at `time_cap` s."""
    require_loopback(host)
    tickets = itertools.count()
    ticket_lock = threading.Lock()
    started = time.monotonic()
    deadline = started + time_cap

    def next_ticket():
        with ticket_lock:
            return next(tickets) < requests and time.monotonic() < deadline

    def client():
        latencies, errors = [], 0
        connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            while next_ticket():
                sent = time.monotonic()
                try:
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    ok = 200 <= response.status < 300
                except (OSError, http.client.HTTPException):
                    connection.close()  # the next request opens a fresh connection
                    ok = False
                if ok:
                    latencies.append(time.monotonic() - sent)
                else:
                    errors += 1
        finally:
            connection.close()
        return latencies, errors

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = [future.result() for future in [pool.submit(client) for _ in range(concurrency)]]
    seconds = time.monotonic() - started
    latencies = sorted(latency for found, _ in outcomes for latency in found)
    return LoadResult(requests, tuple(latencies), sum(errors for _, errors in outcomes), seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("path", nargs="?", default="/")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--time-cap", type=float, default=60.0)
    arguments = parser.parse_args()
    result = run_load(arguments.port, arguments.path, arguments.requests, arguments.concurrency, arguments.time_cap)
    print(
        f"{len(result.latencies)} answered, {result.errors} failed, {result.unsent} unsent in {result.seconds:.2f} s: "
        f"{result.requests_per_second:.0f} requests/s, p99 {result.p99_seconds * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
