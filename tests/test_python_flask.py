"""The python-flask template: a clean, tested Flask project in images far below the seed's 84.5 MB."""

import re
import shutil
import subprocess
import tomllib
import uuid

import base_images
import containers
import pytest
import size_budgets
import yaml
from conftest import REPO, load_benchmark, locked_packages

SEED_MULTI_STAGE = REPO / "benchmarks" / "seed" / "python-multi-stage.Dockerfile"
# distroless, the default: make bench's limit, which allows for its base's C++ and OpenMP runtime (the seed's
# python:alpine has none); scratch, which copies those only when a dependency loads them: the 0.6x acceptance
MAX_RATIO_TO_SEED = {"distroless": load_benchmark().MAX_DEFAULT_SIZE_RATIOS["python-flask"], "scratch": 0.6}


def test_generated_project_passes_its_own_tests_and_ruff_through_make_test(default_python_project):
    done = subprocess.run(["make", "test"], cwd=default_python_project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout)


def pyproject(project):
    return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_project_is_a_uv_project_that_is_never_built_as_a_package(default_python_project):
    settings = pyproject(default_python_project)
    assert settings["project"]["name"] == default_python_project.name
    assert {"version", "requires-python", "dependencies"} <= settings["project"].keys()
    assert settings["tool"]["uv"]["package"] is False
    assert sorted(path.name for path in default_python_project.glob("requirements*")) == []


def test_the_lock_is_current_for_pyproject(default_python_project):
    check = ["uv", "lock", "--check", "--offline"]
    done = subprocess.run(check, cwd=default_python_project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_lock_pins_flask_and_gunicorn_and_every_package_with_hashes(default_python_project):
    locked = locked_packages(default_python_project / "uv.lock")
    assert {"flask", "gunicorn"} <= locked.keys()
    assert [name for name, (_, hashes) in locked.items() if not hashes or not all(hashes)] == []
    assert all(digest.startswith("sha256:") for _, hashes in locked.values() for digest in hashes)


def test_development_dependencies_are_a_group_kept_apart_from_the_runtime_ones(default_python_project):
    settings = pyproject(default_python_project)
    runtime = " ".join(settings["project"]["dependencies"])
    development = " ".join(settings["dependency-groups"]["dev"])
    assert "pytest" not in runtime and "ruff" not in runtime
    assert "pytest" in development and "ruff" in development


UV_PIN = re.compile(r"\buv==(\S+)")
UV_IMAGE_DEFAULT = re.compile(r"^ARG UV_IMAGE=\S+:(\S+)$", re.MULTILINE)
UV_IMAGE_NAMED = re.compile(r"astral-sh/uv:([0-9][\w.]*[0-9])")


def test_every_uv_the_project_names_is_the_release_of_the_dockerfile_s_uv_image(bake):
    project = bake("python-flask", runtime="scratch", workshop="yes").project_path
    workflow = yaml.safe_load((project / ".github/workflows/ci.yaml").read_text(encoding="utf-8"))
    (install,) = [step["run"] for step in workflow["jobs"]["test"]["steps"] if step.get("name") == "Install uv"]
    dockerfiles = [project / "Dockerfile", project / "Dockerfile.naive", *project.glob("lesson/*.Dockerfile")]
    pinned = UV_PIN.findall(install) + [pin for file in dockerfiles for pin in UV_PIN.findall(file.read_text())]
    defaults = [default for file in dockerfiles for default in UV_IMAGE_DEFAULT.findall(file.read_text())]
    named = [tag for file in ("README.md", "Makefile") for tag in UV_IMAGE_NAMED.findall((project / file).read_text())]
    assert len(pinned) >= 5 and len(defaults) >= 4 and len(named) >= 2, (pinned, defaults, named)
    assert set(pinned) | set(defaults) | set(named) == {base_images.template_uv_version()}


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
def test_image_is_within_its_ratio_of_the_seed_multi_stage_image(images, runtime):
    """The size budgets themselves are in scripts/size_budgets.py, tested in test_size_budgets.py."""
    ours = containers.image_size(images.get("python-flask", runtime=runtime).tag)
    seed = containers.image_size(images.seed(SEED_MULTI_STAGE, "seed-python", "python-flask", runtime=runtime).tag)
    assert ours <= MAX_RATIO_TO_SEED[runtime] * seed, f"{ours} bytes against the seed's {seed}"


@pytest.mark.image
@pytest.mark.parametrize("runtime", ["distroless", "scratch"])
def test_shipped_image_has_no_pip_setuptools_wheel_or_uv(images, runtime):
    image = images.get("python-flask", runtime=runtime).tag
    python = containers.entrypoint_python(image)
    probe = (
        "import importlib.util as u, shutil; "
        "print([m for m in ('pip', 'setuptools', 'wheel', 'uv', 'flask') if u.find_spec(m)], "
        "shutil.which('uv', path='/app/venv/bin:/usr/local/bin:/usr/bin:/bin'))"
    )
    done = containers.docker("run", "--rm", "--entrypoint", python, image, "-c", probe)
    assert done.stdout.strip() == "['flask'] None"


@pytest.mark.image
def test_code_only_change_rebuilds_without_reinstalling_dependencies(images, tmp_path):
    images.get("python-flask")  # the dependency layer, built from the same lock file
    project = shutil.copytree(images.project("python-flask"), tmp_path / "edited")
    app = project / "app.py"
    app.write_text(app.read_text() + f"\n# A code-only change: {uuid.uuid4()}\n")
    build = containers.build(project, images.tag("py-edited:dev"), images.build_args("python-flask"))
    cached = containers.cached_steps(build.log)
    assert any("uv sync --locked --no-dev" in step for step in cached), cached
    code_step = "install -D -m 0644 -t /out/app"
    assert code_step in build.log
    assert not any(code_step in step for step in cached), cached


def make_image(project, images, *args):
    """`make image` in a generated project, with the build arguments that name this machine's base images."""
    build_args = base_images.make_build_args(images.build_args("python-flask"))
    command = ["make", "image", f"DOCKER={base_images.docker_command()}", f"BUILD_ARGS={build_args}", *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)


@pytest.mark.image
def test_a_dependency_added_without_a_new_lock_stops_the_build_saying_to_run_make_lock(images, tmp_path):
    project = shutil.copytree(images.project("python-flask"), tmp_path / "stale")
    settings = project / "pyproject.toml"
    added = '    "gunicorn~=27.0",\n    "six>=1.16",\n'
    settings.write_text(settings.read_text().replace('    "gunicorn~=27.0",\n', added))
    done = make_image(project, images, f"IMAGE={images.tag('py-stale:dev')}")
    assert done.returncode != 0
    assert "needs to be updated" in done.stderr  # uv's own message
    assert "error: uv.lock does not match pyproject.toml: run make lock and commit uv.lock" in done.stderr


@pytest.mark.image
def test_a_lock_whose_hash_does_not_match_the_file_stops_the_build(images, tmp_path):
    project = shutil.copytree(images.project("python-flask"), tmp_path / "tampered")
    lock = project / "uv.lock"
    _, hashes = locked_packages(lock)["gunicorn"]
    tampered = hashes[-1][:-1] + ("0" if hashes[-1][-1] != "0" else "1")
    lock.write_text(lock.read_text().replace(hashes[-1], tampered))
    done = make_image(project, images, f"IMAGE={images.tag('py-tampered:dev')}")
    assert done.returncode != 0
    assert "hash" in done.stderr.lower()


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
