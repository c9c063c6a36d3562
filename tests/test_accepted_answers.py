"""Any accepted answer gives a project whose every file parses: drawn by Hypothesis from each field's rule.

The examples are drawn from the accepted space itself (the rule tables' patterns, ranges and menus, and the
module path rules), with a fixed seed and a bounded count. Each is baked with cookiecutter's own API and every
generated file is parsed by the parser of its kind; Go files are checked by gofmt for every
example too, and a handful of drawn projects by go vet (a full type check of every example would take minutes).
"""

import json
import os
import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minimal_images import validate
from minimal_images.go_module_path import go_module_path_problem
from minimal_images.post_gen import unrendered_files
from minimal_images.rules import PROJECT_NAME_PATTERN, PROJECT_SLUG_PATTERN, TEMPLATES

EXAMPLES_PER_TEMPLATE = 200
GO_VET_SAMPLE = 4
GO = shutil.which("go")
GOFMT = shutil.which("gofmt")


def field(template, name):
    return next(rule for rule in TEMPLATES[template].fields if rule.name == name)


MODULE_ELEMENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._~+-]{0,10}", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9-]{1,8}){1,2}", fullmatch=True)
MODULE_PATHS = st.builds(
    lambda first, rest, major: "/".join([first, *rest]) + (f"/v{major}" if major else ""),
    st.one_of(DOMAIN, MODULE_ELEMENT),
    st.lists(MODULE_ELEMENT, max_size=3),
    st.sampled_from([None, 2, 3, 10]),
).filter(lambda path: go_module_path_problem(path) is None)


@st.composite
def answers(draw, template):
    """One set of accepted answers for `template`, every optional field sometimes left to its default."""
    chosen = {"project_name": draw(st.from_regex(PROJECT_NAME_PATTERN, fullmatch=True))}
    if draw(st.booleans()):
        chosen["project_slug"] = draw(st.from_regex(PROJECT_SLUG_PATTERN, fullmatch=True))
    chosen["port"] = str(draw(st.integers(field(template, "port").minimum, field(template, "port").maximum)))
    for rule in TEMPLATES[template].fields:
        if rule.choices:
            options = validate.choices_allowed(template, rule.name, chosen, rule.choices)
            chosen[rule.name] = draw(st.sampled_from(options))
        elif rule.boolean:
            chosen[rule.name] = draw(st.booleans())
    if template == "go-gin" and draw(st.booleans()):
        chosen["module_path"] = draw(MODULE_PATHS)
    return chosen


def parse(path):
    """Parse one generated file with the parser of its kind; raise when it does not parse."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        list(yaml.safe_load_all(text))
    elif path.suffix == ".json":
        json.loads(text)
    elif path.suffix == ".toml":
        tomllib.loads(text)
    elif path.suffix == ".py":
        compile(text, str(path), "exec")
    elif path.suffix == ".sh":
        subprocess.run(["bash", "-n", str(path)], check=True, capture_output=True)
    elif path.name == "Makefile":
        subprocess.run(["make", "-n", "-f", str(path), "help"], check=True, capture_output=True, cwd=path.parent)


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    """bake(template, answers) -> project folder, each in a fresh output folder; the config keeps replays here."""
    root = tmp_path_factory.mktemp("accepted")
    config = root / "config.yaml"
    config.write_text(f"replay_dir: {json.dumps(str(root / 'replay'))}\n", encoding="utf-8")

    def bake(template, chosen):
        out = root / uuid.uuid4().hex
        return Path(
            cookiecutter(
                str(REPO / template), no_input=True, extra_context=chosen, output_dir=str(out), config_file=str(config)
            )
        )

    return bake


def check_project(project, chosen):
    assert unrendered_files(project) == []
    saved = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))["cookiecutter"]
    for name, value in chosen.items():
        assert saved[name] == value
    assert re.fullmatch(PROJECT_SLUG_PATTERN, saved["project_slug"]), saved["project_slug"]
    for path in sorted(project.rglob("*")):
        if path.is_file():
            parse(path)
    go_files = sorted(map(str, project.glob("*.go")))
    if go_files and GOFMT:
        listed = subprocess.run([GOFMT, "-l", *go_files], capture_output=True, text=True)
        assert (listed.returncode, listed.stdout) == (0, ""), listed.stderr


SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEMPLATE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(chosen=answers("go-gin"))
def test_any_accepted_go_gin_answers_give_files_that_parse(baked, chosen):
    check_project(baked("go-gin", chosen), chosen)


@SETTINGS
@given(chosen=answers("python-flask"))
def test_any_accepted_python_flask_answers_give_files_that_parse(baked, chosen):
    check_project(baked("python-flask", chosen), chosen)


def go(*args, cwd):
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod")
    return subprocess.run([GO, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


needs_go = pytest.mark.skipif(GO is None and os.environ.get("CI") != "true", reason="the Go toolchain is not installed")


@needs_go
@settings(SETTINGS, max_examples=GO_VET_SAMPLE)
@given(chosen=answers("go-gin"))
def test_drawn_go_gin_projects_pass_go_vet(baked, chosen):
    vetted = go("vet", "./...", cwd=baked("go-gin", chosen))
    assert vetted.returncode == 0, vetted.stderr
