"""Measure every image the templates generate against the seed's four Dockerfiles: `make bench`.

All images are built from the same generated project sources, on one machine in one run, with the base
images the tests use (official where a registry answers, local stand-ins where none does). For each image:
size on disk, compressed size, layers, cold build time, rebuild time after a code-only change, time from
`docker run` to the first answer, for Python the time its interpreter takes to import the app inside the
container, idle memory, and requests/s and p99 latency under a bounded load
(scripts/load.py: a fixed number of GETs from a few keep-alive connections, on loopback). Every figure is also
shown as a ratio to the seed's multi-stage image of the same language, because absolute times differ between
machines.

Prints a markdown table and writes it to benchmarks/results.md, and the raw numbers to benchmarks/results.json.
Exits 1 when a template's default image is larger than MAX_DEFAULT_SIZE_RATIOS allows against the seed's
multi-stage image, when a Python image starts slower than MAX_STARTUP_RATIOS allows against it, or when a Python
image builds cold slower than MAX_COLD_BUILD_RATIOS allows.
"""

import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "hooks")]

import base_images  # noqa: E402
import containers  # noqa: E402
import load  # noqa: E402
from minimal_images.post_gen import load_answers  # noqa: E402

BENCHMARKS = REPO / "benchmarks"
SEED_DOCKERFILES = BENCHMARKS / "seed"
COMMAND = "make bench"
TAG_PREFIX = "minimal-images-bench"
# A default image against the seed's multi-stage one: 0.6x was the acceptance. python-flask's default carries
# distroless python3's C++ and OpenMP runtime (3.0 MB that the real image has from distroless cc, and that
# python:alpine, the seed's base, has not): its own layers are held to the same size, its base is 3.0 MB more.
MAX_DEFAULT_SIZE_RATIOS = {"go-gin": 0.6, "python-flask": 0.65}
# Start-up against the seed's multi-stage image, for the runtimes whose bytecode was chosen for it (issue 13)
MAX_STARTUP_RATIOS = {("python-flask", "scratch"): 1.0, ("python-flask", "distroless"): 1.2}
# A cold build (no cache, cache mounts emptied) against the seed's multi-stage one, for every Python runtime
MAX_COLD_BUILD_RATIOS = {("python-flask", runtime): 1.0 for runtime in ("distroless", "scratch", "slim")}
STARTUP_TIMEOUT_SECONDS = 60
# Fine enough to tell a Go binary's start-up (milliseconds) from `docker run`'s own overhead
STARTUP_POLL_SECONDS = 0.02
# Idle memory is read once start-up is over: gunicorn answers from its first worker while the others still boot
IDLE_SETTLE_SECONDS = 3
RUN_ID = uuid.uuid4().hex
STARTS = 5  # containers started per image; the start-up time is their median
IMPORTS = 5  # fresh containers that import the app, per Python image; the import time is their median
# Run by the image's own Python in its working directory: how long `import app` takes, which is most of start-up
IMPORT_PROBE = "import time; started = time.perf_counter(); import app; print(time.perf_counter() - started)"
# The load run on the last container: enough requests for a stable p99 (20 above it), a moderate concurrency, and
# a time cap far above what the slowest image (the seed's one sync worker) needs
LOAD_REQUESTS = 2000
LOAD_CONCURRENCY = 16
LOAD_TIME_CAP_SECONDS = 120


@dataclass(frozen=True)
class Language:
    """What the seed and our template share for one language: the app's sources, its route, the file to edit."""

    template: str  # its default project is the source the seed's Dockerfiles build too
    seed_bases: str  # base_images' name for the seed Dockerfiles' bases
    seed_port: str  # where the seed's containers listen (gin's and the seed's gunicorn command's default)
    route: str  # the seed's route, which our apps answer the same way
    source_file: str  # edited for the rebuild after a code-only change
    seed_run_args: tuple = ()  # `docker run` options that make the seed's containers run the seed's own command


GO = Language("go-gin", "seed-go", "8080", "/ping", "main.go")
PYTHON = Language("python-flask", "seed-python", "8000", "/", "app.py", containers.SEED_PYTHON_RUN_ARGS)


@dataclass(frozen=True)
class Subject:
    """One image to build and measure."""

    name: str
    language: Language
    runtime: str  # the template's runtime choice; for a seed image, that of the project it builds from
    seed_dockerfile: str | None = None  # one of benchmarks/seed/*.Dockerfile; None: the project's own Dockerfile
    baseline: bool = False  # the seed's multi-stage image: every ratio of its language is against it
    default: bool = False  # the template's default runtime, held to MAX_DEFAULT_SIZE_RATIOS

    @property
    def tag(self):
        return f"{TAG_PREFIX}/{re.sub(r'[^a-z0-9]+', '-', self.name.lower()).strip('-')}"


# The seed's four Dockerfiles (benchmarks/seed/), each language's multi-stage one being the baseline
SEED_IMAGES = [
    (GO, "go-single-stage.Dockerfile", "seed: Go, single stage (golang)", False),
    (GO, "go-multi-stage.Dockerfile", "seed: Go, golang -> scratch", True),
    (PYTHON, "python-single-stage.Dockerfile", "seed: Python, single stage with compiler", False),
    (PYTHON, "python-multi-stage.Dockerfile", "seed: Python, site-packages copied to a fresh base", True),
]


@dataclass(frozen=True)
class Figures:
    """What is measured for one image, in bytes and seconds."""

    size_bytes: int
    compressed_bytes: int
    layers: int
    cold_build_seconds: float
    rebuild_seconds: float
    startup_seconds: float
    app_import_seconds: float | None  # None for Go: nothing is imported at run time
    idle_memory_bytes: int
    requests_per_second: float
    p99_seconds: float


def runtimes(template):
    """The template's runtime choices, its default first (cookiecutter's order)."""
    return json.loads((REPO / template / "cookiecutter.json").read_text(encoding="utf-8"))["runtime"]


def seed_subjects(language):
    """The seed's images of one language, built from the template's default project."""
    default_runtime = runtimes(language.template)[0]
    return [
        Subject(name, language, default_runtime, dockerfile, baseline=baseline)
        for seed_language, dockerfile, name, baseline in SEED_IMAGES
        if seed_language is language
    ]


def template_subjects(language):
    """One image per runtime choice of the template."""
    choices = runtimes(language.template)
    return [
        Subject(
            f"{language.template} {runtime}" + (" (default)" if runtime == choices[0] else ""),
            language,
            runtime,
            default=runtime == choices[0],
        )
        for runtime in choices
    ]


def subjects():
    """Go first, then Python; in each, the seed's images and then ours."""
    return [subject for language in (GO, PYTHON) for subject in seed_subjects(language) + template_subjects(language)]


def generate_project(template, runtime, workdir):
    """Generate a project with the template's defaults and this runtime, as `cookiecutter --no-input` would."""
    # A config file of our own keeps cookiecutter's replay files out of the user's home
    config = workdir / "cookiecutter-config.yaml"
    if not config.exists():
        config.write_text(f"replay_dir: {json.dumps(str(workdir / 'replay'))}\n", encoding="utf-8")
    output_dir = workdir / "projects" / template / runtime
    with hook_output_to_stderr():
        project = cookiecutter(
            str(REPO / template),
            no_input=True,
            extra_context={"runtime": runtime},
            output_dir=str(output_dir),
            config_file=str(config),
        )
    return Path(project)


@contextlib.contextmanager
def hook_output_to_stderr():
    """Send what the template's hooks print (next steps for a person) to stderr: stdout carries only the table."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def build_args(subject, project):
    """The base-image build arguments, for the seed's Dockerfiles or for the template's own."""
    bases = subject.language.seed_bases if subject.seed_dockerfile else subject.language.template
    return base_images.build_args_for_answers(bases, load_answers(project))


def container_port(subject, project):
    return subject.language.seed_port if subject.seed_dockerfile else load_answers(project)["port"]


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def cold_build(subject, context, args):
    """Build with no cache at all: --no-cache, and BuildKit's cache mounts emptied first, so that the module
    and pip caches our Dockerfiles mount give them no head start over the seed's."""
    containers.prune_cache_mounts()
    return containers.build(context, f"{subject.tag}:cold", args, dockerfile=seed_dockerfile(subject), no_cache=True)


def rebuild_after_code_change(subject, context, args):
    """Append a comment to the app's source and build again with the cache: what a developer waits for.
    The comment is new in every run and names the image, so no earlier run's rebuild and no other image's rebuild
    of the same sources can serve this one from the cache."""
    comment = "//" if subject.language is GO else "#"
    with (context / subject.language.source_file).open("a", encoding="utf-8") as source:
        source.write(f"\n{comment} edited by benchmark run {RUN_ID} to rebuild {subject.tag}\n")
    rebuilt = containers.build(context, f"{subject.tag}:rebuilt", args, dockerfile=seed_dockerfile(subject))
    containers.docker("rmi", rebuilt.tag)
    ran = steps_run(rebuilt.log)
    if not ran:
        raise RuntimeError(f"{subject.name}: the code change rebuilt nothing, so its rebuild time would mean nothing")
    log(f"{subject.name}: the code change reran {len(ran)} steps: {'; '.join(step[:60] for step in ran)}")
    return rebuilt


def steps_run(build_log):
    """The Dockerfile steps BuildKit ran rather than took from its cache (FROM lines and its own steps aside)."""
    named = re.findall(r"^#\d+ \[(?!internal\])[^\]]*\] (?!FROM )(.*)$", build_log, flags=re.MULTILINE)
    cached = set(containers.cached_steps(build_log))
    return [step for step in dict.fromkeys(named) if step not in cached]


def seed_dockerfile(subject):
    return SEED_DOCKERFILES / subject.seed_dockerfile if subject.seed_dockerfile else None


def serve(image, port, route, run_args=()):
    """Median seconds from `docker run -d` to the first 200 on the route; then, in the last container, its idle
    memory and its requests/s and p99 under load. Starting takes about a second and varies with the machine's
    load, so it is timed a few times."""
    startups = []
    for _ in range(STARTS - 1):
        with answering_container(image, port, route, run_args) as (_, _, seconds):
            startups.append(seconds)
    with answering_container(image, port, route, run_args) as (container, host_port, seconds):
        startups.append(seconds)
        time.sleep(IDLE_SETTLE_SECONDS)
        memory = containers.memory_bytes(container)
        return (statistics.median(startups), memory, *under_load(host_port, route))


def app_import_seconds(image):
    """Median seconds the image's Python takes to `import app` in a fresh container (none shares a cache)."""
    python = containers.entrypoint_python(image)
    seconds = [
        float(containers.docker("run", "--rm", "--entrypoint", python, image, "-c", IMPORT_PROBE).stdout)
        for _ in range(IMPORTS)
    ]
    return statistics.median(seconds)


def under_load(port, route):
    """Requests/s and p99 seconds of a bounded load run; a run in which any request failed measures nothing."""
    result = load.run_load(port, route, LOAD_REQUESTS, LOAD_CONCURRENCY, LOAD_TIME_CAP_SECONDS)
    if result.errors or result.unsent:
        raise RuntimeError(f"load on port {port}: {result.errors} failed and {result.unsent} unsent requests")
    return result.requests_per_second, result.p99_seconds


@contextlib.contextmanager
def answering_container(image, port, route, run_args=()):
    """A container that has answered 200 on the route: (container, host port, seconds from `docker run -d`)."""
    started = time.monotonic()
    container, host_port = containers.run_detached(image, port, *run_args)
    try:
        url = f"http://127.0.0.1:{host_port}{route}"
        status, body, _ = containers.wait_for_http(url, STARTUP_TIMEOUT_SECONDS, STARTUP_POLL_SECONDS)
        if status != 200:
            raise RuntimeError(f"{image} answered {url} with {status}: {body[:200]}")
        yield container, host_port, time.monotonic() - started
    finally:
        containers.remove(container)


def measure(subject, project, workdir):
    """Build the image cold, measure it and its container, then time a rebuild after a code-only change."""
    args = build_args(subject, project)  # makes any missing stand-in now, outside the timed builds
    # A copy per image: the edit for the rebuild must not reach the other images built from the same project
    context = workdir / "contexts" / subject.tag.rpartition("/")[2]
    if subject.seed_dockerfile:
        containers.seed_context(project, context)
    else:
        shutil.copytree(project, context)
    log(f"{subject.name}: cold build")
    cold = cold_build(subject, context, args)
    log(f"{subject.name}: sizes and start-up")
    size, compressed, layers = (
        containers.image_size(cold.tag),
        containers.compressed_size(cold.tag),
        containers.layer_count(cold.tag),
    )
    run_args = subject.language.seed_run_args if subject.seed_dockerfile else ()
    startup, memory, requests_per_second, p99 = serve(
        cold.tag, container_port(subject, project), subject.language.route, run_args
    )
    imports = app_import_seconds(cold.tag) if subject.language is PYTHON else None
    log(f"{subject.name}: rebuild after a code-only change")
    rebuilt = rebuild_after_code_change(subject, context, args)
    containers.docker("rmi", cold.tag)
    return Figures(
        size, compressed, layers, cold.seconds, rebuilt.seconds, startup, imports, memory, requests_per_second, p99
    )


def ratios(results):
    """Each figure divided by the same figure of its language's baseline (the seed's multi-stage image)."""
    baselines = {subject.language: figures for subject, figures in results.items() if subject.baseline}
    return {
        subject: {
            key: None if value is None else value / getattr(baselines[subject.language], key)
            for key, value in asdict(figures).items()
        }
        for subject, figures in results.items()
    }


def machine():
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    engine = containers.docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    return {"arch": platform.machine(), "cores": os.cpu_count(), "memory_bytes": memory, "docker_engine": engine}


def megabytes(count):
    return count / 1e6  # as `docker images` counts them


def mebibytes(count):
    return count / 2**20  # as `docker stats` counts them


def number(value):
    """Three significant figures or more: 829, 15.3, 6.12."""
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def ratio(value):
    """Two decimals, and two significant figures below 0.1, so that a rebuild 300 times faster does not read 0.00x."""
    return f"{value:.2g}x" if value < 0.1 else f"{value:.2f}x"


BASE_IMAGE_MODES = {
    "official": "official images from a registry",
    "stand-in": "local stand-ins for the official images (no registry answered; scripts/base_images.py)",
}

# The table's columns: header, the Figures field, how to show it
COLUMNS = [
    ("size on disk", "size_bytes", lambda v: f"{number(megabytes(v))} MB"),
    ("compressed (gzip of docker save)", "compressed_bytes", lambda v: f"{number(megabytes(v))} MB"),
    ("layers", "layers", str),
    ("cold build", "cold_build_seconds", lambda v: f"{number(v)} s"),
    ("rebuild after a code change", "rebuild_seconds", lambda v: f"{number(v)} s"),
    ("start to first answer", "startup_seconds", lambda v: f"{number(v)} s"),
    ("import app", "app_import_seconds", lambda v: f"{number(v)} s"),
    ("idle memory", "idle_memory_bytes", lambda v: f"{number(mebibytes(v))} MiB"),
    ("requests/s", "requests_per_second", number),
    ("p99 latency", "p99_seconds", lambda v: f"{number(v * 1000)} ms"),
]


def markdown(results, context):
    relative = ratios(results)
    hardware = context["machine"]
    lines = [
        f"Measured {context['date']} on {hardware['arch']}, {hardware['cores']} cores, "
        f"{hardware['memory_bytes'] / 2**30:.0f} GiB memory, Docker Engine {hardware['docker_engine']}; "
        f"base images: {BASE_IMAGE_MODES[context['base_images']]}; command: `{context['command']}` "
        f"(the whole run took {context['run_seconds'] / 60:.1f} min).",
        "Ratios in brackets: Go images against the seed's Go multi-stage image, Python images against the seed's "
        "Python multi-stage image. Cold build: `--no-cache` with BuildKit's cache mounts emptied; rebuild: after "
        "appending a comment to main.go or app.py; start: `docker run -d` to the first 200 on the seed's route "
        f"(median of {STARTS} starts); import app: the image's Python importing the app in a fresh container "
        f"(median of {IMPORTS}; Go imports nothing at run time); "
        f"idle memory: `docker stats` {IDLE_SETTLE_SECONDS} s after that answer; requests/s and p99 latency: "
        f"{LOAD_REQUESTS} GETs on that route from {LOAD_CONCURRENCY} keep-alive connections (scripts/load.py), "
        "none failed. The seed's Python images run the seed's own gunicorn command (one sync worker), not the "
        "generated gunicorn.conf.py that their `COPY . /code/` brings along.",
        "",
        "| image | " + " | ".join(header for header, _, _ in COLUMNS) + " |",
        "| --- |" + " ---: |" * len(COLUMNS),
    ]
    for subject, figures in results.items():
        cells = [cell(getattr(figures, key), relative[subject][key], show) for _, key, show in COLUMNS]
        lines.append(f"| {subject.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cell(value, relative, show):
    return "n/a" if value is None else f"{show(value)} ({ratio(relative)})"


def as_json(results, context):
    relative = ratios(results)
    rows = [
        {
            "image": subject.name,
            "template": subject.language.template,
            "runtime": None if subject.seed_dockerfile else subject.runtime,
            "seed_dockerfile": subject.seed_dockerfile and f"benchmarks/seed/{subject.seed_dockerfile}",
            "baseline": subject.baseline,
            "default": subject.default,
            **asdict(figures),
            "ratios": relative[subject],
        }
        for subject, figures in results.items()
    ]
    return json.dumps({**context, "images": rows}, indent=2) + "\n"


def oversized_defaults(results):
    """The template defaults above the acceptance ratio, as lines that say by how much."""
    relative = ratios(results)
    return [
        f"{subject.name} is {relative[subject]['size_bytes']:.2f}x the seed's multi-stage image "
        f"(at most {MAX_DEFAULT_SIZE_RATIOS[subject.language.template]}x accepted)"
        for subject in results
        if subject.default and relative[subject]["size_bytes"] > MAX_DEFAULT_SIZE_RATIOS[subject.language.template]
    ]


def over_limit(results, figure, limits, verb):
    """The images whose ratio of one figure is above their limit in `limits`, as lines that say by how much."""
    relative = ratios(results)
    lines = []
    for subject in results:
        limit = None if subject.seed_dockerfile else limits.get((subject.language.template, subject.runtime))
        if limit is not None and relative[subject][figure] > limit:
            lines.append(
                f"{subject.name} {verb} {relative[subject][figure]:.2f}x the seed's multi-stage "
                f"image's time (at most {limit}x accepted)"
            )
    return lines


def slow_starters(results):
    """The images whose start-up ratio is above what MAX_STARTUP_RATIOS allows."""
    return over_limit(results, "startup_seconds", MAX_STARTUP_RATIOS, "starts in")


def slow_builders(results):
    """The images whose cold build ratio is above what MAX_COLD_BUILD_RATIOS allows."""
    return over_limit(results, "cold_build_seconds", MAX_COLD_BUILD_RATIOS, "builds cold in")


def cold_build_ratios(results):
    """One line per image with a cold-build limit: its ratio to the seed's multi-stage cold build, and the limit."""
    relative = ratios(results)
    return [
        f"cold build: {subject.name} in {relative[subject]['cold_build_seconds']:.2f}x the seed's multi-stage "
        f"image's (at most {MAX_COLD_BUILD_RATIOS[(subject.language.template, subject.runtime)]}x)"
        for subject in results
        if not subject.seed_dockerfile and (subject.language.template, subject.runtime) in MAX_COLD_BUILD_RATIOS
    ]


def main():
    started = time.monotonic()
    problem = containers.engine_problem()
    if problem:
        sys.exit(f"bench: no Docker engine answers through {base_images.docker_command()!r}: {problem}")
    context = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "base_images": base_images.mode(),
        "command": COMMAND,
    }
    results = {}
    with tempfile.TemporaryDirectory(prefix="minimal-images-bench-") as temporary:
        workdir = Path(temporary)
        projects = {}
        for subject in subjects():
            key = (subject.language.template, subject.runtime)
            if key not in projects:
                projects[key] = generate_project(*key, workdir)
            results[subject] = measure(subject, projects[key], workdir)
    context["run_seconds"] = time.monotonic() - started
    table = markdown(results, context)
    print(table)
    (BENCHMARKS / "results.md").write_text(table, encoding="utf-8")
    (BENCHMARKS / "results.json").write_text(as_json(results, context), encoding="utf-8")
    for line in cold_build_ratios(results):
        print(f"bench: {line}", file=sys.stderr)
    failures = oversized_defaults(results) + slow_starters(results) + slow_builders(results)
    for failure in failures:
        print(f"bench: {failure}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
