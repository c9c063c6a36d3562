"""The python-flask template: a clean, tested Flask project in images far below the seed's 84.5 MB."""

import posixpath
import re
import shutil
import subprocess
import uuid

import containers
import pytest
from conftest import REPO

SEED_MULTI_STAGE = REPO / "benchmarks" / "seed" / "python-multi-stage.Dockerfile"
MAX_RATIO_TO_SEED = 0.6


@pytest.fixture(scope="module")
def default_project(bake_once):
    result = bake_once("python-flask")
    assert result.exit_code == 0, result.exception
    return result.project_path


def test_generated_project_passes_its_own_tests_and_ruff_through_make_test(default_project):
    done = subprocess.run(["make", "test"], cwd=default_project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout)


def test_runtime_requirements_are_pinned_with_hashes(default_project):
    lock = (default_project / "requirements.txt").read_text()
    requirements = re.findall(r"^([A-Za-z0-9_.-]+)==\S+", lock, flags=re.MULTILINE)
    assert {"flask", "gunicorn"} <= {name.lower() for name in requirements}
    for block in re.split(r"\n(?=[A-Za-z])", lock.split("\n", 1)[1] if lock.startswith("#") else lock):
        if "==" in block:
            assert "--hash=sha256:" in block, block


def test_development_requirements_are_kept_apart_from_the_runtime_ones(default_project):
    runtime = (default_project / "requirements.txt").read_text().lower()
    development = (default_project / "requirements-dev.txt").read_text().lower()
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
    python = posixpath.join(posixpath.dirname(containers.inspect(image)["Config"]["Entrypoint"][0]), "python")
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
