"""Workshop mode: a naive Dockerfile beside the multi-stage one, and `make compare` to show the difference."""

import re
import shlex
import subprocess

import base_images
import pytest

TEMPLATES = ["go-gin", "python-flask"]


def comment_lines(dockerfile):
    return sum(line.lstrip().startswith("#") for line in dockerfile.read_text().splitlines())


@pytest.mark.parametrize("template", TEMPLATES)
def test_workshop_off_leaves_out_the_naive_dockerfile_and_compare(bake, template):
    project = bake(template).project_path
    assert not (project / "Dockerfile.naive").exists()
    assert "compare" not in (project / "Makefile").read_text()
    assert "compare" not in (project / "README.md").read_text()


@pytest.mark.parametrize("template", TEMPLATES)
def test_workshop_on_adds_the_naive_dockerfile_and_fuller_comments(bake, template):
    plain = bake(template).project_path
    workshop = bake(template, workshop="yes").project_path
    assert "FROM" in (workshop / "Dockerfile.naive").read_text()
    assert re.search(r"^compare:", (workshop / "Makefile").read_text(), flags=re.MULTILINE)
    assert comment_lines(workshop / "Dockerfile") > comment_lines(plain / "Dockerfile")


@pytest.mark.image
@pytest.mark.parametrize("template", TEMPLATES)
def test_make_compare_prints_naive_and_multi_stage_sizes(images, template):
    project = images.project(template, workshop="yes")
    build_args = images.build_args(template, workshop="yes")
    words = " ".join(f"--build-arg {shlex.quote(f'{k}={v}')}" for k, v in build_args.items())
    done = subprocess.run(
        ["make", "compare", f"DOCKER={base_images.docker_command()}", f"BUILD_ARGS={words}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sizes = {
        row: float(size)
        for row, size in re.findall(
            r"^\|\s*(naive|multi-stage)[^|]*\|\s*([\d.]+)(?:\s*MB)?\s*\|", done.stdout, re.MULTILINE
        )
    }
    assert set(sizes) == {"naive", "multi-stage"}, done.stdout
    assert sizes["multi-stage"] < sizes["naive"]
