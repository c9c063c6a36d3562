"""Reproducible images: the same sources give byte-identical layers, build after build, checkout after checkout.

Two builds are compared by their layers' digests (`docker image inspect -f '{{json .RootFS.Layers}}'`): the
first from the baked project, the second from a fresh copy of it (new file times, group-writable modes, as
another checkout would have them) after BuildKit's cache mounts are emptied; both with --no-cache and no build
argument beyond the base images. What used to vary, and what each Dockerfile now does about it, is written
next to each step of the Dockerfiles.
"""

import re
import shutil
import stat
import subprocess

import base_images
import containers
import pytest
from test_images import CASES

pytestmark = pytest.mark.image

# The digest of a layer without files (BuildKit records one for a WORKDIR that already exists)
EMPTY_LAYER = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
# A one-byte edit that changes what the code does, so it must change the code's layer
ONE_BYTE_EDITS = {
    "go-gin": ("main.go", '"pong"', '"pung"'),
    "python-flask": ("app.py", "Hello, World!", "Hello, World?"),
}


def as_another_checkout(project, destination):
    """A copy of the project whose files have new times and group-writable modes, like a clone with umask 002."""
    shutil.copytree(project, destination, copy_function=shutil.copy)
    for path in destination.rglob("*"):
        if path.is_file():
            path.chmod(path.stat().st_mode | stat.S_IWGRP)
    return destination


@pytest.fixture(scope="module", params=CASES, ids=str)
def two_builds(request, images, tmp_path_factory):
    case = request.param
    project = images.project(case.template, **case.options)
    build_args = images.build_args(case.template, **case.options)
    first = containers.build(project, images.tag(f"repro-{case}:1"), build_args, no_cache=True)
    containers.prune_cache_mounts()
    copy = as_another_checkout(project, tmp_path_factory.mktemp("checkout") / project.name)
    second = containers.build(copy, images.tag(f"repro-{case}:2"), build_args, no_cache=True)
    return containers.layers(first.tag), containers.layers(second.tag)


def test_two_builds_without_caches_give_identical_layers(two_builds):
    first, second = two_builds
    assert first == second


@pytest.mark.parametrize("template", sorted(ONE_BYTE_EDITS))
def test_a_one_byte_code_change_changes_the_code_layer_and_only_that_layer(images, template, tmp_path):
    # Both with --no-cache: BuildKit's cache keys ignore file times, so a cached step may hand back a layer
    # with the same files but other times, made by another Dockerfile (an older version of the template)
    def layers_of(project, name):
        return containers.layers(containers.build(project, images.tag(name), build_args, no_cache=True).tag)

    build_args = images.build_args(template)
    original = layers_of(images.project(template), f"{template}-original:1")
    project = shutil.copytree(images.project(template), tmp_path / "edited")
    name, old, new = ONE_BYTE_EDITS[template]
    code = project / name
    assert code.read_text().count(old) == 1
    code.write_text(code.read_text().replace(old, new))
    edited = layers_of(project, f"{template}-edited:1")
    assert len(edited) == len(original)
    changed = [index for index, (before, after) in enumerate(zip(original, edited, strict=True)) if before != after]
    code_layer = max(index for index, layer in enumerate(original) if layer != EMPTY_LAYER)
    assert changed == [code_layer], "only the code's layer, the last one with files, may change"


def make_verify_repro(images, project, template):
    build_args = base_images.make_build_args(images.build_args(template))
    image = images.tag(f"{template}-verify:dev")
    command = ["make", "verify-repro", f"DOCKER={base_images.docker_command()}", f"BUILD_ARGS={build_args}"]
    return subprocess.run([*command, f"IMAGE={image}"], cwd=project, capture_output=True, text=True, timeout=1800)


LAYER_ROW = re.compile(r"^(\d+)\s+(sha256:[0-9a-f]{64})\s+(sha256:[0-9a-f]{64})(\s+differs)?$", flags=re.MULTILINE)


@pytest.mark.parametrize("template", sorted(ONE_BYTE_EDITS))
def test_make_verify_repro_prints_both_builds_digests_side_by_side_and_passes(images, template):
    done = make_verify_repro(images, images.project(template), template)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = LAYER_ROW.findall(done.stdout)
    assert rows, done.stdout
    assert all(first == second and not differs for _, first, second, differs in rows), done.stdout


def test_make_verify_repro_fails_when_a_step_stamps_the_clock_time(images, tmp_path):
    project = shutil.copytree(images.project("python-flask"), tmp_path / "stamped")
    dockerfile = project / "Dockerfile"
    normalised = ' \\\n    && find /out -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +'
    assert dockerfile.read_text().count(normalised) == 1
    dockerfile.write_text(dockerfile.read_text().replace(normalised, ""))
    done = make_verify_repro(images, project, "python-flask")
    assert done.returncode != 0, done.stdout
    assert [row for row in LAYER_ROW.findall(done.stdout) if row[3]], done.stdout
    assert "not reproducible" in done.stdout
