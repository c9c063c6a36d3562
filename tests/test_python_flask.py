"""The python-flask template: a clean, tested Flask project in images far below the seed's 84.5 MB."""

import re
import shutil
import subprocess
import uuid

import containers
import pytest
import size_budgets
from conftest import REPO

SEED_MULTI_STAGE = REPO / "benchmarks" / "seed" / "python-multi-stage.Dockerfile"
MAX_RATIO_TO_SEED = 0.6


def test_generated_project_passes_its_own_tests_and_ruff_through_make_test(default_python_project):
    done = subprocess.run(["make", "test"], cwd=default_python_project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout)


def test_runtime_requirements_are_pinned_with_hashes(default_python_project):
    lock = (default_python_project / "requirements.txt").read_text()
    requirements = re.findall(r"^([A-Za-z0-9_.-]+)==\S+", lock, flags=re.MULTILINE)
    assert {"flask", "gunicorn"} <= {name.lower() for name in requirements}
    for block in re.split(r"\n(?=[A-Za-z])", lock.split("\n", 1)[1] if lock.startswith("#") else lock):
        if "==" in block:
            assert "--hash=sha256:" in block, block


def test_development_requirements_are_kept_apart_from_the_runtime_ones(default_python_project):
    runtime = (default_python_project / "requirements.txt").read_text().lower()
    development = (default_python_project / "requirements-dev.txt").read_text().lower()
    assert "pytest==" not in runtime
    assert "pytest==" in development


@pytest.mark.image
def test_test_stage_fails_when_a_test_fails(images, tmp_path):
    project = shutil.copytree(images.project("python-flask"), tmp_path / "broken")
    test_app = project / "tests" / "test_app.py"
    test_app.write_text(test_app.read_text().replace("Hello, World!", "Goodbye, World!"))
    with pytest.raises(containers.EngineError, match="failed"):
        containers.build(
            project, images.tag("py-broken:test"), images.build_args("python-flask"), target="test"
        )


@pytest.mark.image
@pytest.mark.parametrize("runtime", ["distroless", "scratch", "slim"])
def test_test_stage_passes_for_each_runtime(images, runtime):
    build = images.get("python-flask", target="test", runtime=runtime)
    assert containers.inspect(build.tag)["Id"]


@pytest.mark.image
@pytest.mark.parametrize("runtime", ["distroless", "scratch"])
def test_image_is_at_most_0_6x_the_seed_multi_stage_image(images, runtime):
    """The size budgets themselves are in scripts/size_budgets.py, tested in test_size_budgets.py."""
    ours = containers.image_size(images.get("python-flask", runtime=runtime).tag)
    seed = containers.image_size(images.seed(SEED_MULTI_STAGE, "seed-python", "python-flask", runtime=runtime).tag)
    assert ours <= MAX_RATIO_TO_SEED * seed, f"{ours} bytes against the seed's {seed}"


@pytest.mark.image
@pytest.mark.parametrize("runtime", ["distroless", "scratch"])
def test_shipped_virtual_environment_has_no_pip_setuptools_or_wheel(images, runtime):
    image = images.get("python-flask", runtime=runtime).tag
    python = containers.entrypoint_python(image)
    probe = "import importlib.util as u; print([m for m in ('pip', 'setuptools', 'wheel', 'flask') if u.find_spec(m)])"
    done = containers.docker("run", "--rm", "--entrypoint", python, image, "-c", probe)
    assert done.stdout.strip() == "['flask']"


@pytest.mark.image
def test_code_only_change_rebuilds_without_reinstalling_dependencies(images, tmp_path):
    images.get("python-flask")  # the dependency layer, built from the same lock file
    project = shutil.copytree(images.project("python-flask"), tmp_path / "edited")
    app = project / "app.py"
    app.write_text(app.read_text() + f"\n# A code-only change: {uuid.uuid4()}\n")
    build = containers.build(project, images.tag("py-edited:dev"), images.build_args("python-flask"))
    cached = containers.cached_steps(build.log)
    assert any("pip" in step and "requirements.txt" in step for step in cached), cached
    code_step = "install -D -m 0644 -t /out/app"
    assert code_step in build.log
    assert not any(code_step in step for step in cached), cached


# --- Bytecode: what start-up compiles, and what stays readable -------------------------------------------

RUNTIMES = ["distroless", "scratch", "slim"]
# gunicorn as the entrypoint starts it, with an audit hook (which its forked workers inherit) that reports each
# source Python compiles: a module imported from usable bytecode raises no "compile" event.
COMPILE_REPORTER = (
    "import sys; "
    "sys.addaudithook(lambda event, args: print('compiled:', args[1], file=sys.stderr, flush=True) "
    "if event == 'compile' and str(args[1]).endswith('.py') else None); "
    "from gunicorn.app.wsgiapp import run; sys.argv = ['gunicorn', 'app:app']; run()"
)


def run_python(image, code):
    """Run the image's venv Python on `code`, the way its entrypoint runs gunicorn."""
    python = containers.entrypoint_python(image)
    return containers.docker("run", "--rm", "--read-only", "--entrypoint", python, image, "-c", code, check=False)


@pytest.mark.image
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_serving_compiles_nothing_but_the_services_own_files(images, runtime, start):
    image = images.get("python-flask", runtime=runtime).tag
    python = containers.entrypoint_python(image)
    container, port = start(image, "8000", "--read-only", "--entrypoint", python, command=("-c", COMPILE_REPORTER))
    for route in ("/", "/healthz", "/"):
        assert containers.wait_for_http(f"http://127.0.0.1:{port}{route}")[0] == 200
    containers.stop(container)
    logs = containers.docker("logs", container).stderr
    compiled = set(re.findall(r"^compiled: (\S+)$", logs, flags=re.MULTILINE))
    assert compiled == {"/app/app.py", "/app/gunicorn.conf.py"}


@pytest.mark.image
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_apps_own_code_stays_source_and_its_tracebacks_show_its_lines(images, runtime):
    done = run_python(images.get("python-flask", runtime=runtime).tag, "import app; app.create_app(42)")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    frame = next(i for i, line in enumerate(lines) if line.strip().startswith('File "/app/app.py"'))
    number = int(re.search(r"line (\d+)", lines[frame]).group(1))
    source = (images.project("python-flask", runtime=runtime) / "app.py").read_text().splitlines()
    assert lines[frame + 1].strip() == source[number - 1].strip()


@pytest.mark.image
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_runtimes_python_is_the_version_the_venv_was_built_with(images, runtime):
    probe = (
        "import sys, pathlib; cfg = pathlib.Path(sys.prefix, 'pyvenv.cfg').read_text(); "
        "print(sys.version_info.major, sys.version_info.minor); print(cfg)"
    )
    done = run_python(images.get("python-flask", runtime=runtime).tag, probe)
    assert done.returncode == 0, done.stderr
    running, cfg = done.stdout.split("\n", 1)
    built_with = re.search(r"^version(?:_info)?\s*=\s*(\d+)\.(\d+)", cfg, flags=re.MULTILINE).groups()
    assert running.split() == list(built_with)


@pytest.mark.image
def test_a_runtime_with_another_python_version_stops_the_build(images, tmp_path):
    # A runtime base whose Python says it is 3.12: the bytecode stage must refuse the 3.13 venv, naming both.
    project = images.project("python-flask")
    args = images.build_args("python-flask")
    base = args.get("RUNTIME_IMAGE") or size_budgets.official_runtime_base((project / "Dockerfile").read_text())
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.version_info = (3, 12, 0, 'final', 0)\n")
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nCOPY sitecustomize.py {standard_library_of(base)}/\n")
    other = containers.build(tmp_path, images.tag("py-other-python:base")).tag
    with pytest.raises(containers.EngineError) as refused:
        containers.build(project, images.tag("py-other-python:dev"), {**args, "RUNTIME_IMAGE": other})
    wanted = "the runtime image runs Python 3.12, the virtual environment was built with Python 3.13"
    assert wanted in str(refused.value)


def standard_library_of(base):
    """The standard library's folder in a Python base image, as its own interpreter says."""
    code = "import sysconfig; print(sysconfig.get_path('stdlib'))"
    return containers.docker("run", "--rm", "--entrypoint", "python3", base, "-c", code).stdout.strip()


def lines_after_standard_library_frames(stderr):
    """For each traceback frame in /usr/lib/python3.X, the line printed after it (its source text, if any)."""
    lines = stderr.splitlines()
    return [lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if line.strip().startswith('File "/usr/lib/')]


@pytest.mark.image
def test_scratch_tracebacks_show_library_lines_only_when_sources_are_kept(images):
    args = images.build_args("python-flask", runtime="scratch")
    project = images.project("python-flask", runtime="scratch")
    default = images.get("python-flask", runtime="scratch").tag
    kept = containers.build(project, images.tag("py-scratch-sources:dev"), {**args, "PYTHON_SOURCES": "keep"}).tag
    failing = "import json; json.loads('{')"
    dropped, shown = (lines_after_standard_library_frames(run_python(tag, failing).stderr) for tag in (default, kept))
    assert dropped and all(line.startswith(("File ", "json.decoder.JSONDecodeError")) for line in dropped)
    assert shown and not any(line.startswith(("File ", "json.decoder.JSONDecodeError")) for line in shown)
