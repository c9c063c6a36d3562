"""Measure what the Kubernetes manifests' probes and resources are sized from, on each template's default image.

    .venv/bin/python benchmarks/deploy_sizing.py IMAGE_GO IMAGE_PYTHON  # images of default projects

For each image: seconds from `docker run -d` to the first 200 on /healthz (median of STARTS starts), memory
IDLE_SETTLE_SECONDS after that, and the highest memory seen while CLIENTS threads request the app's route as
fast as they can for LOAD_SECONDS. Containers run as the manifests run them (read-only root, the CPU limit and
worker count of hooks/minimal_images/deploy.py), with no memory limit, so the figures are what the service needs.
"""

import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "hooks")]

import containers  # noqa: E402
from minimal_images.deploy import RUNTIMES, quantity  # noqa: E402

STARTS = 3
IDLE_SETTLE_SECONDS = 3
CLIENTS = 16
LOAD_SECONDS = 15
SAMPLE_SECONDS = 0.25
ROUTES = {"go-gin": "/ping", "python-flask": "/"}
PORTS = {"go-gin": "8080", "python-flask": "8000"}


def run_args(template):
    runtime = RUNTIMES[template]
    args = ["--read-only", "--tmpfs", "/tmp", "--cpus", str(quantity(runtime.cpu_limit))]
    for name, value in runtime.env.items():
        args += ["-e", f"{name}={value}"]
    return args


def hammer(url, stop):
    while not stop.is_set():
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()


def measure(template, image):
    port = PORTS[template]
    startups = []
    for _ in range(STARTS):
        started = time.monotonic()
        container, host_port = containers.run_detached(image, port, *run_args(template))
        try:
            containers.wait_for_http(f"http://127.0.0.1:{host_port}/healthz", poll_seconds=0.02)
            startups.append(time.monotonic() - started)
        finally:
            containers.remove(container)
    container, host_port = containers.run_detached(image, port, *run_args(template))
    try:
        containers.wait_for_http(f"http://127.0.0.1:{host_port}/healthz")
        time.sleep(IDLE_SETTLE_SECONDS)  # a measurement window, not synchronisation
        idle = containers.memory_bytes(container)
        stop = threading.Event()
        clients = [
            threading.Thread(target=hammer, args=(f"http://127.0.0.1:{host_port}{ROUTES[template]}", stop))
            for _ in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        peak, deadline = idle, time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline:
            peak = max(peak, containers.memory_bytes(container))
            time.sleep(SAMPLE_SECONDS)
        stop.set()
        for client in clients:
            client.join()
    finally:
        containers.remove(container)
    return statistics.median(startups), max(startups), idle, peak


def main(go_image, python_image):
    print("| template | start to /healthz, median (max) | idle memory | peak memory under load |")
    print("| --- | ---: | ---: | ---: |")
    for template, image in (("go-gin", go_image), ("python-flask", python_image)):
        median, slowest, idle, peak = measure(template, image)
        print(f"| {template} | {median:.2f} s ({slowest:.2f} s) | {idle / 2**20:.1f} MiB | {peak / 2**20:.1f} MiB |")


if __name__ == "__main__":
    main(*sys.argv[1:])
