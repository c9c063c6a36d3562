"""Building, running and probing images with the Docker engine: one piece of code for tests and benchmarks.

Every call goes through the client named by base_images.docker_command() (the DOCKER environment variable),
with BuildKit switched on. Waiting is always polling with a deadline, never a fixed sleep.
"""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass

import base_images

POLL_SECONDS = 0.2


class EngineError(RuntimeError):
    """A Docker command failed; the message carries its output."""


def docker(*args, timeout=900, check=True, binary=False):
    """Run one docker command and return its completed process (output captured, as text unless binary)."""
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    done = subprocess.run(
        [base_images.docker_command(), *args], capture_output=True, text=not binary, timeout=timeout, env=env
    )
    if check and done.returncode != 0:
        raise EngineError(f"docker {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def engine_problem():
    """Why no engine answers, or None when one does."""
    try:
        done = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if done.returncode == 0 else (done.stderr.strip() or "docker info failed")


@dataclass(frozen=True)
class Build:
    tag: str
    seconds: float
    log: str  # BuildKit's plain progress output, to see which steps came from the cache


def build(context, tag, build_args=None, target=None, platform=None, dockerfile=None, no_cache=False):
    """Build an image and time it; no_cache=True rebuilds every step (cache mounts keep their contents)."""
    args = ["build", "--progress=plain", "-t", tag]
    if no_cache:
        args.append("--no-cache")
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    if target:
        args += ["--target", target]
    if platform:
        args += ["--platform", platform]
    if dockerfile:
        args += ["-f", str(dockerfile)]
    started = time.monotonic()
    done = docker(*args, str(context))
    return Build(tag, time.monotonic() - started, done.stderr)


def cached_steps(log):
    """The commands of the build steps that BuildKit took from its cache."""
    names = dict(re.findall(r"^#(\d+) \[[^\]]*\] (.*)$", log, flags=re.MULTILINE))
    cached = set(re.findall(r"^#(\d+) CACHED$", log, flags=re.MULTILINE))
    return [names[step] for step in sorted(cached, key=int) if step in names]


def inspect(reference):
    return json.loads(docker("inspect", reference).stdout)[0]


def image_size(tag):
    """The image's size on disk in bytes, as `docker image ls` counts it."""
    return int(docker("image", "inspect", "-f", "{{.Size}}", tag).stdout)


# The seed's Python Dockerfiles copy the whole project (COPY . /code/), the generated gunicorn.conf.py with it,
# and gunicorn reads ./gunicorn.conf.py unless told otherwise: an empty configuration runs the seed's own command
# (one sync worker) rather than ours.
SEED_PYTHON_RUN_ARGS = ("-e", "GUNICORN_CMD_ARGS=--config=/dev/null")


def run_detached(image, container_port, *extra_args):
    """Start a container with its port published on a free loopback port; return (id, host port)."""
    container = docker("run", "-d", "-p", f"127.0.0.1::{container_port}", *extra_args, image).stdout.strip()
    mapping = docker("port", container, f"{container_port}/tcp").stdout.split()[0]
    return container, int(mapping.rsplit(":", 1)[1])


def remove(container):
    docker("rm", "-f", container, check=False)


def wait_for_http(url, timeout=30, poll_seconds=POLL_SECONDS):
    """Poll a URL until it answers; return (status, body text, seconds waited)."""
    started = time.monotonic()
    deadline = started + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last_error = error
            time.sleep(poll_seconds)
    raise TimeoutError(f"{url} did not answer within {timeout} s: {last_error}")


def wait_for_state(container, template, wanted, timeout):
    """Poll `docker inspect -f TEMPLATE` until it prints one of `wanted`; return what it printed last."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = docker("inspect", "-f", template, container).stdout.strip()
        if value in wanted:
            return value
        time.sleep(POLL_SECONDS)
    return value


def stop(container, grace_seconds=10):
    """`docker stop` a container; return (seconds it took, exit code)."""
    started = time.monotonic()
    docker("stop", "-t", str(grace_seconds), container)
    seconds = time.monotonic() - started
    return seconds, int(docker("inspect", "-f", "{{.State.ExitCode}}", container).stdout)


def memory_bytes(container):
    """The running container's memory use, as `docker stats` reports it."""
    text = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).stdout.split("/")[0].strip()
    number, unit = re.fullmatch(r"([\d.]+)\s*([KMGT]?i?B)", text).groups()
    scale = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "kB": 1e3, "MB": 1e6, "GB": 1e9}
    return int(float(number) * scale[unit])


def layer_count(tag):
    """How many file-system layers the image has (each COPY, ADD or RUN that changes files adds one)."""
    return len(inspect(tag)["RootFS"]["Layers"])


# gzip's own default level, so compressed_size() matches `docker save TAG | gzip -c | wc -c`
GZIP_LEVEL = 6
SAVE_CHUNK_BYTES = 1 << 20


def compressed_size(tag):
    """Bytes of `docker save TAG | gzip -c`, close to what a push or pull moves; streamed, never held in memory."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip framing
    total = 0
    with subprocess.Popen(
        [base_images.docker_command(), "save", tag], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as save:
        while chunk := save.stdout.read(SAVE_CHUNK_BYTES):
            total += len(compressor.compress(chunk))
        errors = save.stderr.read().decode()
    if save.returncode != 0:
        raise EngineError(f"docker save {tag} failed ({save.returncode}):\n{errors}")
    return total + len(compressor.flush())


def prune_cache_mounts():
    """Empty BuildKit's cache mounts (module and pip caches), which --no-cache leaves in place."""
    docker("builder", "prune", "--force", "--all", "--filter", "type=exec.cachemount")
