"""Generation under hostile or unlucky conditions: bad answers typed at the prompt, planted modules, interrupted
runs, existing folders, strings where booleans belong, invisible characters and huge values."""

import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest
from conftest import DEFAULT_SLUGS, REPO
from minimal_images import guard, post_gen
from minimal_images.post_gen import load_answers
from minimal_images.validate import SHOWN_CHARACTERS


def output_lines(done):
    return (done.stderr + done.stdout).splitlines()


def fields_named(stderr):
    """The fields our error lines name, in order (the closing summary line names none)."""
    return [line.split(":")[1].strip() for line in stderr.splitlines() if re.match(r"error: \w+: ", line)]


# --- 1. A bad answer at the prompt costs one retype ---------------------------------------------------------


def test_bad_port_typed_at_the_prompt_is_refused_at_once_and_asked_again(cookiecutter_cli, tmp_path):
    # go-gin's questions: name, slug, module path, port, runtime, Go version, workshop, license.
    answers = ["1", "", "", "", "80", "8081", "", "", "", ""]
    done = cookiecutter_cli(REPO, stdin="\n".join(answers) + "\n")
    assert done.returncode == 0, done.stderr
    refusals = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert refusals == [
        'error: port: "80" is out of range; accepted: an integer from 1024 to 65535 '
        "(the container runs as a non-root user, which cannot bind lower ports)"
    ]
    assert load_answers(tmp_path / DEFAULT_SLUGS["go-gin"])["port"] == "8081"


def test_menu_offers_only_the_python_versions_that_go_with_the_runtime(cookiecutter_cli, tmp_path):
    # python-flask: name, slug, port, runtime 2 (scratch), then the Python menu, which holds 3.13 alone;
    # workshop and license take their defaults.
    answers = ["2", "", "", "", "2", "2", "1", "", ""]
    done = cookiecutter_cli(REPO, stdin="\n".join(answers) + "\n")
    # Choice 2 does not exist in a one-item menu; cookiecutter asks again and takes 1.
    assert done.returncode == 0, done.stderr
    saved = load_answers(tmp_path / DEFAULT_SLUGS["python-flask"])
    assert (saved["runtime"], saved["python_version"]) == ("scratch", "3.13")


def test_refusal_ends_with_our_line_and_no_traceback(cookiecutter_cli):
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin", "port=80")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert output_lines(done)[-1] == "error: nothing was generated (1 problem(s) above)"
    assert done.stdout.strip() == ""


def test_every_wrapper_is_in_place_for_this_cookiecutter():
    import cookiecutter.generate
    import cookiecutter.main  # noqa: F401

    guard.install("go-gin", "0")
    assert len(guard.installed()) == len(guard.WRAPPERS)


# --- 2. Code never runs from a planted file -----------------------------------------------------------------


@pytest.mark.parametrize("module", ["json", "re", "pathlib"])
def test_module_planted_in_tmpdir_is_never_imported_by_the_hooks(cookiecutter_cli, tmp_path, module):
    marker = tmp_path / "planted-module-ran"
    (cookiecutter_cli.tmpdir / f"{module}.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


# --- 3. Nothing is left behind ------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["go-gin", "python-flask"])
def test_rendered_hooks_holding_the_answers_are_gone_from_tmpdir(cookiecutter_cli, template):
    done = cookiecutter_cli(REPO, "--no-input", "--directory", template, "project_name=Secret Project")
    assert done.returncode == 0, done.stderr
    assert list(cookiecutter_cli.tmpdir.iterdir()) == []


@pytest.mark.parametrize("slug", ["nested/slug", "../escaped", "a/../../b"])
def test_slug_with_a_path_creates_no_folder_anywhere(cookiecutter_cli, tmp_path, slug):
    out = tmp_path / "inner" / "out"
    out.mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin", f"project_slug={slug}", "-o", out)
    assert done.returncode != 0
    assert "project_slug" in done.stderr
    assert sorted(tmp_path.rglob("*")) == before  # no project, no folder on the way, no replay, nothing in $TMPDIR


def copy_of_the_repository_whose_post_gen_hook_signals(destination, signum):
    """A clone of the templates whose post-generation hook sends cookiecutter `signum` mid-generation, then waits
    until cookiecutter has gone (polling), as if the user pressed Ctrl-C or a supervisor sent SIGTERM."""
    shutil.copytree(REPO, destination, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__"))
    hook = destination / "go-gin" / "hooks" / "post_gen_project.py"
    lines = hook.read_text(encoding="utf-8").splitlines()
    exit_line = next(i for i, line in enumerate(lines) if line.startswith("sys.exit("))
    lines[exit_line:exit_line] = [
        "import os, signal, time",
        "parent = os.getppid()",
        f"os.kill(parent, {int(signum)})",
        "while os.getppid() == parent:",
        "    time.sleep(0.01)",
    ]
    hook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return destination


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_generation_leaves_no_partial_project(cookiecutter_cli, tmp_path, signum):
    repo = copy_of_the_repository_whose_post_gen_hook_signals(tmp_path / "repo", signum)
    out = tmp_path / "out"
    out.mkdir()
    done = cookiecutter_cli(repo, "--no-input", "--directory", "go-gin", "-o", out)
    assert done.returncode != 0
    assert list(out.iterdir()) == []


# --- 4. Nothing of the user's is deleted or overwritten -----------------------------------------------------


@pytest.fixture
def existing_project(tmp_path):
    """A folder the user already has: a Dockerfile.naive of their own, notes that quote Jinja, an empty lesson/."""
    folder = tmp_path / DEFAULT_SLUGS["go-gin"]
    folder.mkdir()
    (folder / "lesson").mkdir()  # the folder workshop mode writes; without it, an empty one is removed
    (folder / "Dockerfile.naive").write_text("FROM my-own-base\n")
    (folder / "NOTES.md").write_text("Our template uses {{ cookiecutter.project_name }} in titles.\n")
    return folder


@pytest.mark.parametrize("flags", [["-f"], ["-f", "-s"]], ids=["overwrite", "skip-existing"])
def test_generating_into_an_existing_folder_keeps_the_users_own_files(cookiecutter_cli, existing_project, flags):
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin", *flags)
    assert done.returncode == 0, done.stderr
    assert (existing_project / "Dockerfile.naive").read_text() == "FROM my-own-base\n"
    assert "{{ cookiecutter.project_name }}" in (existing_project / "NOTES.md").read_text()
    assert (existing_project / "lesson").is_dir()
    assert (existing_project / "main.go").is_file()


def test_generating_into_a_folder_that_holds_a_virtualenv_works(cookiecutter_cli, existing_project):
    # Thousands of files with long paths, as `make test` leaves in .venv: more than one environment variable holds.
    packages = existing_project / ".venv" / "lib" / "python3.13" / "site-packages"
    for number in range(3000):
        module = packages / f"package_with_a_long_descriptive_name_{number:04}" / "__init__.py"
        module.parent.mkdir(parents=True)
        module.write_text("# {% not ours %}\n")
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin", "-f")
    assert done.returncode == 0, done.stderr
    assert (existing_project / "main.go").is_file()
    assert len(list(packages.iterdir())) == 3000


def test_a_leftover_in_a_file_this_run_overwrote_is_still_found(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    written = project / "main.go"
    written.write_text("package main\n")
    before = {"main.go": post_gen.file_signature(written)}
    written.write_text("{% if %}main\n")  # as many bytes: only the modification time tells it was written
    os.utime(written, ns=(before["main.go"][1] + 10**6,) * 2)
    assert post_gen.unrendered_files(project, before) == [Path("main.go")]


def test_unchosen_files_are_never_written(bake):
    result = bake("python-flask", runtime="distroless")
    assert result.exit_code == 0, result.exception
    written = {path.name for path in result.project_path.iterdir()}
    assert {"Dockerfile.naive", "scratch-rootfs.sh", "lesson", "WORKSHOP.md"}.isdisjoint(written)
    assert "Dockerfile" in written


# --- 6. Booleans are booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["True", "False", "yes", "no", 1])
def test_replay_file_with_a_string_for_a_boolean_is_refused(cookiecutter_cli, tmp_path, value):
    made = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin", "-o", tmp_path / "first")
    assert made.returncode == 0, made.stderr
    replay = json.loads((tmp_path / "first" / DEFAULT_SLUGS["go-gin"] / ".cookiecutter.json").read_text())
    replay["cookiecutter"]["workshop"] = value
    replay_file = tmp_path / "replay.json"
    replay_file.write_text(json.dumps(replay))
    out = tmp_path / "again"
    out.mkdir()
    done = cookiecutter_cli(REPO, "--directory", "go-gin", "--replay-file", replay_file, "-o", out)
    assert done.returncode != 0
    assert fields_named(done.stderr) == ["workshop"]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("text", "wanted"), [("yes", True), ("no", False), ("true", True), ("off", False)])
def test_boolean_words_in_a_config_file_are_read_the_same_by_jinja_and_the_hooks(cookiecutter_cli, text, wanted):
    config = cookiecutter_cli.root / "cookiecutter-config.yaml"
    config.write_text(config.read_text() + f'default_context:\n  workshop: "{text}"\n')
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "go-gin")
    assert done.returncode == 0, done.stderr
    project = cookiecutter_cli.root / DEFAULT_SLUGS["go-gin"]
    assert load_answers(project)["workshop"] is wanted
    assert (project / "Dockerfile.naive").exists() is wanted


# --- 7. Messages are honest and safe ------------------------------------------------------------------------

INVISIBLE = [
    ("zero-width space", "Hello\u200bGin", "\\u200b"),
    ("right-to-left override", "Hello\u202eniG", "\\u202e"),
    ("byte order mark", "\ufeffHello", "\\ufeff"),
    ("no-break space", "Hello\u00a0Gin", "\\u00a0"),
]


@pytest.mark.parametrize(("_", "name", "escaped"), INVISIBLE, ids=[case[0] for case in INVISIBLE])
def test_invisible_characters_are_shown_escaped(bake, capfd, _, name, escaped):
    result = bake("go-gin", project_name=name)
    err = capfd.readouterr().err
    assert result.exit_code != 0
    line = next(line for line in err.splitlines() if line.startswith("error: project_name"))
    assert escaped in line
    assert name not in line


def test_out_of_range_port_gets_one_message_and_no_warning(bake, capfd):
    result = bake("go-gin", port="70000")
    lines = [line for line in capfd.readouterr().err.splitlines() if "port" in line]
    assert result.exit_code != 0
    assert len(lines) == 1
    assert lines[0].startswith('error: port: "70000" is out of range')


@pytest.mark.parametrize(
    ("field", "value"),
    [("project_name", "x" * 10_000), ("project_name", "nul\x00byte"), ("project_slug", "s" * 5_000)],
    ids=["10000-character name", "NUL byte", "5000-character slug"],
)
def test_huge_or_nul_values_are_refused_by_us_before_cookiecutter_trips_on_them(bake, capfd, tmp_path, field, value):
    result = bake("go-gin", **{field: value})
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
    assert result.exit_code != 0
    assert result.exit_code == 1  # our refusal (cookiecutter's own failures exit with -1 through pytest-cookies)
    assert lines[0].startswith(f"error: {field}: ")
    assert all(len(line) < 3 * SHOWN_CHARACTERS + 250 for line in lines)
    assert "\x00" not in "".join(lines)
    assert list((tmp_path / "cookies").rglob("*/*")) == []


# --- 5 (derived defaults). A default made from another answer is always valid --------------------------------


@pytest.mark.parametrize("name", ["3D Printer", "42", "9 lives", "日本語サービス", "ー", "x" * 80])
def test_slug_made_from_any_accepted_name_is_accepted(bake, name):
    result = bake("python-flask", project_name=name)
    assert result.exit_code == 0, result.exception
    assert load_answers(result.project_path)["project_slug"][0].isalpha()
