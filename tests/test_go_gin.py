"""The go-gin template: a Go project that is clean and tested, in an image far smaller than the seed's."""

import io
import shutil
import subprocess
import tarfile
import uuid

import containers
import pytest
from conftest import REPO

GO_VARIANTS = [{}, {"go_version": "1.25", "runtime": "distroless"}, {"workshop": "yes", "port": "9090"}]
SEED_SCRATCH = REPO / "benchmarks" / "seed" / "go-multi-stage.Dockerfile"
MAX_RATIO_TO_SEED = 0.6
ELF_MACHINE_AARCH64 = 183


def go(project, *args):
    return subprocess.run(["go", *args], cwd=project, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module", params=GO_VARIANTS, ids=str)
def go_project(request, bake_once):
    result = bake_once("go-gin", **request.param)
    assert result.exit_code == 0, result.exception
    return result.project_path


def test_generated_go_code_is_gofmt_clean(go_project):
    done = subprocess.run(["gofmt", "-l", "."], cwd=go_project, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "")


def test_generated_go_code_is_go_vet_clean(go_project):
    done = go(go_project, "vet", "./...")
    assert done.returncode == 0, done.stderr


def test_generated_project_passes_its_own_go_tests(go_project):
    done = go(go_project, "test", "-count=1", "./...")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok" in done.stdout


def test_go_mod_names_the_chosen_module_and_go_version(bake):
    result = bake("go-gin", module_path="git.example.org/team/api", go_version="1.25")
    go_mod = (result.project_path / "go.mod").read_text()
    assert "module git.example.org/team/api\n" in go_mod
    assert "\ngo 1.25" in go_mod


def test_ci_workflow_keeps_its_own_expressions_through_rendering(bake):
    import yaml

    result = bake("go-gin")
    workflow = next((result.project_path / ".github" / "workflows").glob("*.y*ml")).read_text()
    assert "${{" in workflow
    assert isinstance(yaml.safe_load(workflow), dict)


@pytest.mark.image
@pytest.mark.parametrize("runtime", ["scratch", "distroless"])
def test_image_is_at_most_0_6x_the_seed_scratch_image(images, runtime):
    """The size budgets themselves are in scripts/size_budgets.py, tested in test_size_budgets.py."""
    ours = containers.image_size(images.get("go-gin", runtime=runtime).tag)
    seed = containers.image_size(images.seed(SEED_SCRATCH, "seed-go", "go-gin", runtime=runtime).tag)
    assert ours <= MAX_RATIO_TO_SEED * seed, f"{ours} bytes against the seed's {seed}"


@pytest.mark.image
def test_test_stage_fails_when_a_go_test_fails(images, tmp_path):
    project = shutil.copytree(images.project("go-gin"), tmp_path / "broken")
    main_test = project / "main_test.go"
    main_test.write_text(main_test.read_text().replace('"pong"', '"not pong"'))
    with pytest.raises(containers.EngineError, match="FAIL"):
        containers.build(project, images.tag("go-broken:test"), images.build_args("go-gin"), target="test")


@pytest.mark.image
def test_test_stage_passes_for_the_generated_project(images):
    build = images.get("go-gin", target="test")
    assert containers.inspect(build.tag)["Id"]


@pytest.mark.image
def test_arm64_build_makes_an_arm64_binary_without_emulation(images):
    tag = images.get("go-gin", platform="linux/arm64").tag
    assert containers.inspect(tag)["Architecture"] == "arm64"
    binary = containers.inspect(tag)["Config"]["Entrypoint"][0]
    container = containers.docker("create", tag).stdout.strip()
    try:
        archive = containers.docker("cp", f"{container}:{binary}", "-", binary=True).stdout
    finally:
        containers.remove(container)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        elf = tar.extractfile(tar.getmembers()[0]).read(20)
    assert elf[:4] == b"\x7fELF"
    assert int.from_bytes(elf[18:20], "little") == ELF_MACHINE_AARCH64


@pytest.mark.image
def test_code_only_change_rebuilds_without_downloading_modules_again(images, tmp_path):
    images.get("go-gin")  # the dependency layer, built from the same go.mod and go.sum
    project = shutil.copytree(images.project("go-gin"), tmp_path / "edited")
    main_go = project / "main.go"
    main_go.write_text(main_go.read_text() + f"\n// A code-only change: {uuid.uuid4()}\n")
    build = containers.build(project, images.tag("go-edited:dev"), images.build_args("go-gin"))
    cached = containers.cached_steps(build.log)
    assert any("go mod download" in step for step in cached), cached
    assert not any("go build" in step for step in cached), cached
