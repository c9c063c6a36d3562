"""The repository itself: its license, its locked test requirements, its version, and the license choice and
lock it hands to the generated projects."""

import re
import shlex
import subprocess
import tomllib

import base_images
import pytest
from conftest import REPO, locked_packages
from minimal_images.rules import TEMPLATES

PYTHON_PROJECT = REPO / "python-flask" / "{{cookiecutter.project_slug}}"
# What the suite and the generated projects both run (gunicorn: the suite loads gunicorn.conf.py), at one version.
SHARED_TOOLS = ("pytest", "ruff", "gunicorn")
# The first line of each license's text, as the LICENSE file carries it; "none" writes no file.
LICENSE_TITLES = {"MIT": "MIT License", "Apache-2.0": "Apache License"}
VERSION_HEADING = re.compile(r"^## (\d+\.\d+\.\d+)\b", flags=re.MULTILINE)


def requirements(path):
    """A compiled requirements file as {name: (version, [hashes])}, continuation lines joined."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    pinned = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split() if not line.lstrip().startswith("#") else []
        if not words:
            continue
        name, _, version = words[0].partition("==")
        assert version, f"{path.name}: {words[0]} is not pinned with =="
        pinned[name.lower()] = (version, [word for word in words[1:] if word.startswith("--hash=sha256:")])
    return pinned


def dry_run(directory, *args):
    """The commands `make -n ARGS` would run, each split into words."""
    command = ["make", "--no-print-directory", "-n", *args]  # under a parent make, no directory lines
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, check=True)
    return [shlex.split(line) for line in done.stdout.replace("\\\n", " ").splitlines() if line.strip()]


def choices(template, name):
    return next(field.choices for field in TEMPLATES[template].fields if field.name == name)


def test_the_repository_is_mit_licensed():
    assert (REPO / "LICENSE").read_text(encoding="utf-8").splitlines()[0] == "MIT License"


def test_every_test_requirement_is_pinned_with_a_hash():
    pinned = requirements(REPO / "tests" / "requirements.txt")
    assert pinned, "tests/requirements.txt pins nothing"
    assert [name for name, (_, hashes) in pinned.items() if not hashes] == []


@pytest.mark.parametrize("tool", SHARED_TOOLS)
def test_the_suite_runs_the_tool_versions_the_generated_project_pins(tool):
    suite = requirements(REPO / "tests" / "requirements.txt")
    project = locked_packages(PYTHON_PROJECT / "uv.lock")
    assert suite[tool][0] == project[tool][0]


def test_the_suite_runs_the_uv_release_the_python_template_builds_with():
    assert requirements(REPO / "tests" / "requirements.txt")["uv"][0] == base_images.template_uv_version()


def test_make_installs_the_test_requirements_with_require_hashes():
    installs = [words for words in dry_run(REPO, "-B", ".venv/installed") if words[1:3] == ["install", "--quiet"]]
    locked = [words for words in installs if "tests/requirements.txt" in words]
    assert len(locked) == 1
    assert "--require-hashes" in locked[0]


def test_the_newest_changelog_version_is_version():
    newest = VERSION_HEADING.search((REPO / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert newest, "CHANGELOG.md has no '## X.Y.Z' heading"
    assert newest.group(1) == (REPO / "VERSION").read_text(encoding="utf-8").strip()


def lowest(versions):
    return min(versions, key=lambda version: tuple(map(int, version.split("."))))


def test_the_lock_covers_the_lowest_python_the_template_offers(default_python_project):
    settings = tomllib.loads((default_python_project / "pyproject.toml").read_text(encoding="utf-8"))
    lock = tomllib.loads((default_python_project / "uv.lock").read_text(encoding="utf-8"))
    floor = tuple(map(int, lock["requires-python"].removeprefix(">=").split(".")))
    assert lock["requires-python"] == settings["project"]["requires-python"]
    assert floor <= tuple(map(int, lowest(choices("python-flask", "python_version")).split(".")))


def test_make_lock_is_uv_lock(default_python_project):
    assert dry_run(default_python_project, "lock", "UV=uv") == [["uv", "lock"]]


LICENSE_CASES = [(template, license) for template in sorted(TEMPLATES) for license in choices(template, "license")]


@pytest.mark.parametrize(("template", "license"), LICENSE_CASES, ids="-".join)
def test_the_chosen_license_is_written_to_license_and_named_in_the_readme(bake_once, template, license):
    result = bake_once(template, license=license)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## License\n", 1)[1]
    if license == "none":
        assert not (project / "LICENSE").exists()
        assert "all rights reserved" in section
    else:
        text = (project / "LICENSE").read_text(encoding="utf-8")
        assert text.strip().splitlines()[0].strip() == LICENSE_TITLES[license]
        assert f"{license}: see `LICENSE`" in section


def test_both_templates_offer_the_same_licenses_with_the_same_default():
    offered = {template: choices(template, "license") for template in TEMPLATES}
    assert len(set(offered.values())) == 1
    assert set(LICENSE_TITLES) | {"none"} == set(offered["go-gin"])
