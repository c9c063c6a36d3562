"""The two templates are one family: a user who knows one generated project finds the same Makefile targets
with the same meaning, the same README sections in the same order and the same CI jobs and steps in the other.

Each difference the language forces is named here, with the reason; anything else that differs is a failure.
This file is also the checklist for a third template (CONTRIBUTING.md).
"""

import re
import shlex
import subprocess

import pytest
import yaml
from minimal_images.rules import TEMPLATES

TEMPLATE_NAMES = sorted(TEMPLATES)
WORKSHOP = [False, True]
# Targets that belong to one language only, with the reason.
LANGUAGE_ONLY_TARGETS = {
    "go-gin": set(),
    # `make lock` is `uv lock`, a step of its own; Go's go.sum is written by the go command itself. Projects made
    # before 1.4.0 kept their dependencies in requirements files: `make migrate-requirements` moves them once.
    # `make smoke` imports every installed distribution's modules in the image; a Go binary loads nothing at run
    # time that its build did not link.
    "python-flask": {"lock", "migrate-requirements", "smoke"},
}
# CI steps that belong to one language only, with the reason: setup-go brings the go command, which resolves
# and fetches modules; setup-python brings no uv, which runs the Python tests from uv.lock.
# The import check in the image is Python's alone, like `make smoke`.
LANGUAGE_ONLY_STEPS = {
    "go-gin": set(),
    "python-flask": {"Install uv", "Every installed module imports in the image (make smoke)"},
}
# README sections that belong to one language only, with the reason (none so far).
LANGUAGE_ONLY_SECTIONS = {"go-gin": set(), "python-flask": set()}
HELP_LINE = re.compile(r"^  ([a-z0-9-]+) +(\S.*)$")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$")


@pytest.fixture(scope="module", params=WORKSHOP, ids=["plain", "workshop"])
def projects(request, bake_once):
    """Both templates' projects with their default answers, workshop mode off or on."""
    baked = {}
    for template in TEMPLATE_NAMES:
        result = bake_once(template, workshop="yes" if request.param else "no")
        assert result.exit_code == 0, result.exception
        baked[template] = result.project_path
    return baked


def make(project, *args):
    done = subprocess.run(["make", *args], cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def help_targets(project):
    """The targets `make help` lists, as a set of names."""
    lines = [HELP_LINE.match(line) for line in make(project, "--no-print-directory", "help").splitlines()]
    return {match.group(1) for match in lines if match}


def prerequisites(project, target):
    """The prerequisites of a target, from make's own database (`make -pn`)."""
    database = make(project, "--no-print-directory", "-pn", "help")
    rules = [line for line in database.splitlines() if line.startswith(f"{target}:") and not line.startswith("\t")]
    assert rules, f"make's database has no rule for {target}"
    return {name for rule in rules for name in rule.partition(":")[2].split()}


def dry_run_commands(project, target):
    """The commands `make -n TARGET` would run, each split into words."""
    output = make(project, "--no-print-directory", "-n", target, "DOCKER=docker")
    return [shlex.split(line) for line in output.splitlines() if line.strip()]


def headings(markdown, level):
    """The headings of one level, in order, leaving out lines inside fenced code blocks."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match and len(match.group(1)) == level:
            found.append(match.group(2))
    return found


def workflow(project):
    return yaml.safe_load((project / ".github/workflows/ci.yaml").read_text(encoding="utf-8"))


def test_both_projects_list_the_same_make_targets_but_for_the_language_only_ones(projects):
    go, python = (help_targets(projects[name]) - LANGUAGE_ONLY_TARGETS[name] for name in ("go-gin", "python-flask"))
    assert go == python, f"only go-gin: {sorted(go - python)}; only python-flask: {sorted(python - go)}"


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_language_only_targets_exist_where_they_are_declared(projects, template):
    assert LANGUAGE_ONLY_TARGETS[template] <= help_targets(projects[template])


@pytest.mark.parametrize("target", ["help", "lint", "test", "test-docker", "image", "run", "size", "sbom", "scan"])
def test_the_family_targets_are_in_both_projects(projects, target):
    for project in projects.values():
        assert target in help_targets(project)


@pytest.mark.parametrize("target", ["lesson", "kit", "load-kit"])
def test_workshop_mode_adds_the_lesson_targets_to_both_and_only_then(projects, target):
    workshop = all((project / "Dockerfile.naive").exists() for project in projects.values())
    for project in projects.values():
        assert (target in help_targets(project)) == workshop


@pytest.mark.parametrize(("target", "prerequisite"), [("run", "image"), ("test", "lint")])
def test_target_depends_on_the_same_prerequisite_in_both(projects, target, prerequisite):
    for template, project in projects.items():
        assert prerequisite in prerequisites(project, target), template


def test_test_docker_runs_the_dockerfiles_test_stage_in_both(projects):
    for template, project in projects.items():
        (command,) = dry_run_commands(project, "test-docker")
        assert command[:2] == ["docker", "build"], template
        assert command[command.index("--target") + 1] == "test", template


def test_both_readmes_have_the_same_sections_in_the_same_order(projects):
    sections = {
        template: [
            heading
            for heading in headings((project / "README.md").read_text(encoding="utf-8"), level=2)
            if heading not in LANGUAGE_ONLY_SECTIONS[template]
        ]
        for template, project in projects.items()
    }
    assert sections["go-gin"] == sections["python-flask"]


def test_each_readme_has_one_title_and_sections(projects):
    for project in projects.values():
        readme = (project / "README.md").read_text(encoding="utf-8")
        assert len(headings(readme, level=1)) == 1
        assert len(headings(readme, level=2)) >= 5


def named_steps(flow, job, template):
    """A job's step names, leaving out the steps that belong to the template's language only."""
    names = [step["name"] for step in flow["jobs"][job]["steps"] if "name" in step]
    return [name for name in names if name not in LANGUAGE_ONLY_STEPS[template]]


def test_both_workflows_have_the_same_named_steps_in_every_job(projects):
    go, python = (workflow(projects[template]) for template in TEMPLATE_NAMES)
    assert go["name"] == python["name"]
    assert go["jobs"].keys() == python["jobs"].keys()
    for job in go["jobs"]:
        assert named_steps(go, job, "go-gin") == named_steps(python, job, "python-flask"), job


def test_language_only_steps_exist_where_they_are_declared(projects):
    for template in TEMPLATE_NAMES:
        flow = workflow(projects[template])
        names = {step.get("name") for job in flow["jobs"].values() for step in job["steps"]}
        assert LANGUAGE_ONLY_STEPS[template] <= names, template


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("# T\n## A\ntext\n```sh\n## not a heading\n```\n## B\n", ["A", "B"]),
        ("## A ##\n### sub\n## B\n", ["A", "B"]),
    ],
)
def test_headings_are_read_outside_code_blocks_only(markdown, expected):
    assert headings(markdown, level=2) == expected
