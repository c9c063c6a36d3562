"""The size budgets (scripts/size_budgets.py) hold on both base sets, and every `make size` default is one of them.

The tests without an engine do the official bases' arithmetic (what MINIMAL_IMAGES_BASES=official would
measure) from the official images' sizes; the image tests check real images, on whichever base set they were
built, against the same table.
"""

import re
import subprocess

import base_images
import containers
import pytest
import size_budgets
from conftest import REPO
from minimal_images.post_gen import load_answers
from minimal_images.rules import TEMPLATES


def choices(template, name):
    return next(field for field in TEMPLATES[template].fields if field.name == name).choices


def allowed(template, runtime, version_field, version):
    """Whether the template's requirements accept this version with this runtime."""
    return all(
        version in requirement.allowed
        for requirement in TEMPLATES[template].requirements
        if (requirement.when_field, requirement.when_value, requirement.field) == ("runtime", runtime, version_field)
    )


VERSION_FIELDS = {"go-gin": "go_version", "python-flask": "python_version"}
RUNTIMES = [(template, runtime) for template in sorted(TEMPLATES) for runtime in choices(template, "runtime")]
VARIANTS = [
    (template, runtime, version)
    for template, runtime in RUNTIMES
    for version in choices(template, VERSION_FIELDS[template])
    if allowed(template, runtime, VERSION_FIELDS[template], version)
]


def test_every_runtime_of_every_template_has_a_budget():
    assert sorted(size_budgets.BUDGETS) == sorted(RUNTIMES)


@pytest.fixture(scope="module", params=VARIANTS, ids="-".join)
def variant(request, bake_once):
    template, runtime, version = request.param
    result = bake_once(template, runtime=runtime, **{VERSION_FIELDS[template]: version})
    assert result.exit_code == 0, result.exception
    return template, runtime, result.project_path


def test_the_budget_holds_on_the_official_base_as_published(variant):
    template, runtime, project = variant
    base = size_budgets.official_runtime_base((project / "Dockerfile").read_text())
    assert base in size_budgets.OFFICIAL_BASE_MB, f"no published size for {base}"
    budget = size_budgets.budget(template, runtime)
    largest_allowed = size_budgets.OFFICIAL_BASE_MB[base] + budget.added_mb
    assert largest_allowed <= budget.total_mb("official"), f"{base} + {budget.added_mb} MB"


def test_make_size_defaults_to_the_official_budget_and_the_readme_says_so(variant):
    template, runtime, project = variant
    official = size_budgets.budget(template, runtime).total_mb("official")
    default = re.search(r"^SIZE_BUDGET_MB \?= ([\d.]+)$", (project / "Makefile").read_text(), flags=re.MULTILINE)
    assert default, "the Makefile sets no SIZE_BUDGET_MB default"
    assert float(default.group(1)) == official
    stated = re.search(r"SIZE_BUDGET_MB`? \(([\d.]+) MB, on the official base", (project / "README.md").read_text())
    assert stated, "the project's README does not state the make size budget"
    assert float(stated.group(1)) == official


def test_repository_readme_states_every_budget():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for (template, runtime), budget in size_budgets.BUDGETS.items():
        totals = " | ".join(f"{budget.total_mb(base_set)} MB" for base_set in size_budgets.BASE_SETS)
        assert f"| {template} {runtime} | {budget.added_mb:g} MB | {totals} |" in readme


def test_a_stand_in_budget_is_never_below_the_official_one():
    for budget in size_budgets.BUDGETS.values():
        assert budget.total_mb("stand-in") >= budget.total_mb("official")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ARG PYTHON_VERSION=3.13\nARG RUNTIME_IMAGE=python:${PYTHON_VERSION}-slim\nFROM x\n", "python:3.13-slim"),
        ("ARG RUNTIME_IMAGE=scratch\nFROM x\nARG RUNTIME_IMAGE=later\n", "scratch"),
    ],
)
def test_the_official_base_is_read_from_the_arguments_before_the_first_from(text, expected):
    assert size_budgets.official_runtime_base(text) == expected


@pytest.mark.image
@pytest.mark.parametrize(("template", "runtime"), RUNTIMES, ids=[f"{t}-{r}" for t, r in RUNTIMES])
def test_image_keeps_within_its_budget_on_the_bases_it_was_built_on(images, template, runtime):
    image = containers.image_size(images.get(template, runtime=runtime).tag)
    project = images.project(template, runtime=runtime)
    base = containers.base_size(size_budgets.runtime_base(project, images.build_args(template, runtime=runtime)))
    budget = size_budgets.budget(template, runtime)
    assert image - base <= budget.added_bytes, f"{image - base} bytes added to the base"
    base_set = base_images.mode()
    assert image <= budget.total_bytes(base_set), f"{image} bytes in all, on the {base_set} bases"


@pytest.mark.image
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_make_size_passes_within_the_budget_and_fails_above_it(images, template):
    runtime = load_answers(images.project(template))["runtime"]
    budget = size_budgets.budget(template, runtime).total_mb(base_images.mode())

    def make_size(budget_mb):
        command = ["make", "size", f"DOCKER={base_images.docker_command()}", f"IMAGE={images.get(template).tag}"]
        return subprocess.run(
            [*command, f"SIZE_BUDGET_MB={budget_mb}"], cwd=images.project(template), capture_output=True, text=True
        )

    within = make_size(budget)
    assert within.returncode == 0, within.stdout + within.stderr
    assert f"(budget {budget} MB)" in within.stdout
    assert make_size(1).returncode != 0
