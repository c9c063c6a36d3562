"""Every answer is checked before a file is written: one clear line per problem, and nothing left behind."""

import json
import tempfile

import pytest
from conftest import REPO
from minimal_images.post_gen import load_answers

# (template, bad options, the field the message must name)
BAD_INPUTS = [
    ("go-gin", {"project_name": ""}, "project_name"),
    ("go-gin", {"project_name": "   "}, "project_name"),
    ("go-gin", {"project_name": 'My "quoted" app'}, "project_name"),
    ("go-gin", {"project_name": "back\\slash"}, "project_name"),
    ("go-gin", {"project_name": "two\nlines"}, "project_name"),
    ("go-gin", {"project_name": "{{ 7 * 7 }}"}, "project_name"),
    ("go-gin", {"project_name": "x" * 81}, "project_name"),
    ("go-gin", {"project_slug": "Bad_Slug"}, "project_slug"),
    ("go-gin", {"project_slug": "-leading"}, "project_slug"),
    ("go-gin", {"project_slug": "trailing-"}, "project_slug"),
    ("go-gin", {"project_slug": "double--hyphen"}, "project_slug"),
    ("go-gin", {"project_slug": "a" * 64}, "project_slug"),
    ("go-gin", {"project_slug": "9lives"}, "project_slug"),
    ("go-gin", {"project_slug": "nested/slug"}, "project_slug"),
    ("go-gin", {"port": "80"}, "port"),
    ("go-gin", {"port": "65536"}, "port"),
    ("go-gin", {"port": "http"}, "port"),
    ("go-gin", {"port": "08080"}, "port"),
    ("go-gin", {"module_path": "example.com/-x"}, "module_path"),
    ("go-gin", {"module_path": "example.com/x/v2.0"}, "module_path"),
    ("go-gin", {"module_path": "example.com//x"}, "module_path"),
    ("go-gin", {"module_path": "example.com/x/"}, "module_path"),
    ("go-gin", {"module_path": "example.com/../x"}, "module_path"),
    ("go-gin", {"module_path": "example.com/x y"}, "module_path"),
    ("go-gin", {"module_path": "example.com/x/v1"}, "module_path"),
    ("go-gin", {"module_path": 'example.com/x"; import "os'}, "module_path"),
    ("go-gin", {"go_version": "1.20"}, "go_version"),
    ("go-gin", {"runtime": "alpine"}, "runtime"),
    ("go-gin", {"workshop": "maybe"}, "workshop"),
    ("go-gin", {"license": "GPL-3.0"}, "license"),
    ("python-flask", {"project_name": "$(touch pwned)"}, "project_name"),
    ("python-flask", {"project_slug": "my.service"}, "project_slug"),
    ("python-flask", {"port": "1023"}, "port"),
    ("python-flask", {"port": "-8000"}, "port"),
    ("python-flask", {"runtime": "distroless", "python_version": "3.12"}, "python_version"),
    ("python-flask", {"runtime": "scratch", "python_version": "3.14"}, "python_version"),
    ("python-flask", {"python_version": "2.7"}, "python_version"),
    ("python-flask", {"runtime": "alpine"}, "runtime"),
    ("python-flask", {"license": "mit"}, "license"),
]


def leftovers(output_root):
    """Everything under the bake output folders (pytest-cookies makes one per bake)."""
    return sorted(str(p.relative_to(output_root)) for p in output_root.rglob("*") if p.parent != output_root)


@pytest.fixture
def own_tmpdir(tmp_path, monkeypatch):
    """An empty $TMPDIR for cookiecutter's in-process run (where it writes the rendered hooks)."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize(("template", "options", "field"), BAD_INPUTS, ids=lambda v: json.dumps(v)[:40])
def test_bad_value_is_refused_naming_the_field_and_nothing_is_left(
    bake, capfd, tmp_path, own_tmpdir, template, options, field
):
    result = bake(template, **options)
    message = capfd.readouterr().err + str(result.exception or "")
    assert result.exit_code != 0
    assert field in message
    # At the moment the call returns: no project, no folder made on the way, no rendered hook in $TMPDIR.
    assert leftovers(tmp_path / "cookies") == []
    assert list(own_tmpdir.iterdir()) == []


def test_every_problem_is_reported_at_once(bake, capfd):
    result = bake("go-gin", project_slug="Bad", port="80", module_path="nodot/x/v1")
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
    assert result.exit_code != 0
    assert [line.split(":")[1].strip() for line in errors[:3]] == ["project_slug", "module_path", "port"]


def test_unwise_value_warns_and_generation_goes_on(bake, capfd):
    result = bake("python-flask", port="50000")
    assert result.exit_code == 0
    assert 'warning: port: "50000" is in the ephemeral range' in capfd.readouterr().err


def test_module_path_that_others_cannot_fetch_warns_and_generation_goes_on(bake, capfd):
    result = bake("go-gin", module_path="internal-service")
    assert result.exit_code == 0, result.exception
    warning = 'warning: module_path: "internal-service" does not start with a lowercase domain name'
    assert warning in capfd.readouterr().err
    assert "module internal-service" in (result.project_path / "go.mod").read_text()


def test_capital_letters_in_module_path_warn_and_generation_goes_on(bake, capfd):
    result = bake("go-gin", module_path="example.com/Team/Service")
    assert result.exit_code == 0
    assert "warning: module_path" in capfd.readouterr().err
    assert "module example.com/Team/Service" in (result.project_path / "go.mod").read_text()


def test_jinja_in_a_value_never_runs_code(bake, tmp_path):
    marker = tmp_path / "pwned"
    payload = "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"
    result = bake("go-gin", project_name=payload)
    assert result.exit_code != 0
    assert not marker.exists()


# Explicit lists, in the manner of cookiecutter-django's test suite.
SUPPORTED_COMBINATIONS = [
    ("go-gin", {"runtime": "scratch", "go_version": "1.26"}),
    ("go-gin", {"runtime": "scratch", "go_version": "1.25"}),
    ("go-gin", {"runtime": "distroless", "go_version": "1.26", "workshop": "yes"}),
    ("go-gin", {"runtime": "distroless", "go_version": "1.25", "port": "9090"}),
    ("python-flask", {"runtime": "distroless", "python_version": "3.13"}),
    ("python-flask", {"runtime": "scratch", "python_version": "3.13", "workshop": "yes"}),
    ("python-flask", {"runtime": "slim", "python_version": "3.12"}),
    ("python-flask", {"runtime": "slim", "python_version": "3.13"}),
    ("python-flask", {"runtime": "slim", "python_version": "3.14", "port": "9000"}),
]
UNSUPPORTED_COMBINATIONS = [
    ("python-flask", {"runtime": "distroless", "python_version": "3.12"}),
    ("python-flask", {"runtime": "distroless", "python_version": "3.14"}),
    ("python-flask", {"runtime": "scratch", "python_version": "3.12"}),
    ("python-flask", {"runtime": "scratch", "python_version": "3.14"}),
]


@pytest.mark.parametrize(("template", "options"), SUPPORTED_COMBINATIONS, ids=str)
def test_supported_combination_generates(bake, template, options):
    result = bake(template, **options)
    assert result.exit_code == 0, result.exception
    saved = load_answers(result.project_path)
    assert saved["runtime"] == options["runtime"]


@pytest.mark.parametrize(("template", "options"), UNSUPPORTED_COMBINATIONS, ids=str)
def test_unsupported_combination_is_refused(bake, capfd, template, options):
    result = bake(template, **options)
    assert result.exit_code != 0
    assert "cannot go with runtime" in capfd.readouterr().err


AWKWARD_BUT_VALID_NAMES = ["Café Crème (v2)", "Ünïcödé & Co.", "R+D-Lab, Inc!", "日本語サービス"]


@pytest.mark.parametrize("template", ["go-gin", "python-flask"])
@pytest.mark.parametrize("name", AWKWARD_BUT_VALID_NAMES)
def test_accepted_unusual_names_render_intact(bake, template, name):
    result = bake(template, project_name=name, project_slug="svc")
    assert result.exit_code == 0, result.exception
    project = result.project_path
    assert name in (project / "README.md").read_text(encoding="utf-8")
    compose = (project / "compose.yaml").read_text(encoding="utf-8")
    assert compose_is_valid_yaml(compose)
    label = next(line for line in (project / "Dockerfile").read_text().splitlines() if "image.title" in line)
    assert json.loads(label.split("=", 1)[1].rstrip(" \\")) == name


def compose_is_valid_yaml(text):
    import yaml  # cookiecutter depends on PyYAML

    return isinstance(yaml.safe_load(text), dict)


CLI_BAD_INPUTS = [
    ("go-gin", {"port": "80", "project_slug": "Nope"}, ["port", "project_slug"]),
    ("go-gin", {"module_path": "github.com/org/"}, ["module_path"]),
    ("python-flask", {"runtime": "scratch", "python_version": "3.12"}, ["python_version"]),
    ("python-flask", {"project_name": 'it\'s "quoted"'}, ["project_name"]),
]


@pytest.mark.parametrize(("template", "options", "fields"), CLI_BAD_INPUTS, ids=str)
def test_command_line_refuses_bad_values_with_one_line_each(cookiecutter_cli, tmp_path, template, options, fields):
    out = tmp_path / "out"
    out.mkdir()
    args = [f"{key}={value}" for key, value in options.items()]
    done = cookiecutter_cli(REPO, "--no-input", "--directory", template, *args, cwd=out)
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert done.returncode != 0
    for field in fields:
        assert sum(line.startswith(f"error: {field}: ") for line in error_lines) == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith("error: nothing was generated")  # ours, last
    assert list(out.iterdir()) == []
    assert list(cookiecutter_cli.tmpdir.iterdir()) == []
