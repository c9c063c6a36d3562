"""Building, running and probing images with the Docker engine: one piece of code for tests and benchmarks.

Every call goes through the client named by base_images.docker_command() (the DOCKER environment variable),
with BuildKit switched on; podman's calls, through base_images.podman_command() (PODMAN). Waiting is always
polling with a deadline, never a fixed sleep.
"""

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import base_images

POLL_SECONDS = 0.2
# `podman run` in the development VM needs these limits (its defaults ask for more than the VM grants). They
# are the harness's business: the generated projects' `make run` stays as any other machine needs it.
PODMAN_RUN_WORKAROUND = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


class EngineError(RuntimeError):
    """A docker or podman command failed; the message carries its output."""


def run_client(client, *args, timeout=900, check=True, binary=False):
    """Run one command of a container client; return its completed process (output captured, as text unless binary)."""
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    done = subprocess.run([client, *args], capture_output=True, text=not binary, timeout=timeout, env=env)
    if check and done.returncode != 0:
        raise EngineError(f"{client} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def docker(*args, **options):
    return run_client(base_images.docker_command(), *args, **options)


def podman(*args, **options):
    return run_client(base_images.podman_command(), *args, **options)


def client_problem(client, *info_args):
    """Why a client's `info` fails (no engine, no permission), or None when it answers."""
    try:
        done = client("info", *info_args, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if done.returncode == 0 else (done.stderr.strip() or "info failed")


def engine_problem():
    """Why no Docker engine answers, or None when one does."""
    return client_problem(docker, "--format", "{{.ServerVersion}}")


def podman_problem():
    """Why podman cannot run containers here, or None when it can."""
    return client_problem(podman, "--format", "{{.Version.Version}}")


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


def seed_context(project, context):
    """Copy a generated project to `context` for the seed's Dockerfiles, which `pip install -r requirements.txt`:
    a python-flask project's uv.lock is exported there as that file (the same versions and hashes, no dev group)."""
    shutil.copytree(project, context)
    if (context / "uv.lock").is_file():
        uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
        export = [uv, "export", "--frozen", "--no-dev", "--format", "requirements-txt", "-o", "requirements.txt"]
        subprocess.run(export, cwd=context, capture_output=True, text=True, check=True)
    return context


def run_detached(image, container_port, *extra_args, command=(), client=docker):
    """Start a container with its port published on a free loopback port; return (id, host port).

    extra_args are `docker run` options; command, the arguments after the image (to its entrypoint)."""
    published = ("-p", f"127.0.0.1::{container_port}")
    container = client("run", "-d", *published, *extra_args, image, *command).stdout.strip()
    mapping = client("port", container, f"{container_port}/tcp").stdout.split()[0]
    return container, int(mapping.rsplit(":", 1)[1])


def remove(container, client=docker):
    client("rm", "-f", container, check=False)


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


def entrypoint_python(image):
    """The Python that runs the image's entrypoint: the one in the same bin/ folder (our venv's), or python3 on PATH
    when the entrypoint is a bare name (the seed's `gunicorn`)."""
    folder = posixpath.dirname(inspect(image)["Config"]["Entrypoint"][0])
    return posixpath.join(folder, "python") if folder else "python3"


def memory_bytes(container):
    """The running container's memory use, as `docker stats` reports it."""
    text = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).stdout.split("/")[0].strip()
    number, unit = re.fullmatch(r"([\d.]+)\s*([KMGT]?i?B)", text).groups()
    scale = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "kB": 1e3, "MB": 1e6, "GB": 1e9}
    return int(float(number) * scale[unit])


def layers(tag):
    """The digests of the image's file-system layers (each COPY, ADD or RUN that changes files adds one)."""
    return inspect(tag)["RootFS"]["Layers"]


def layer_count(tag):
    return len(layers(tag))


def base_size(reference):
    """The size of a base image in bytes (0 for scratch), pulling it first when the engine lacks it."""
    if reference == base_images.SCRATCH:
        return 0
    if not base_images.image_exists(reference):
        docker("pull", "--quiet", reference)
    return image_size(reference)


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
