"""The chooser and the real command line: how users start a project."""

import filecmp
import os
import shutil
import subprocess

import pytest
from conftest import DEFAULT_SLUGS, REPO
from minimal_images.post_gen import load_answers

TEMPLATE_MARKERS = {"go-gin": "main.go", "python-flask": "app.py"}


@pytest.mark.parametrize("template", ["go-gin", "python-flask"])
def test_directory_option_generates_the_named_template_without_questions(cookiecutter_cli, tmp_path, template):
    done = cookiecutter_cli(REPO, "--no-input", "--directory", template)
    assert done.returncode == 0, done.stderr
    slug = DEFAULT_SLUGS[template]
    assert (tmp_path / slug / TEMPLATE_MARKERS[template]).is_file()
    assert load_answers(tmp_path / slug)["project_slug"] == slug


def test_no_input_without_directory_takes_the_first_template(cookiecutter_cli, tmp_path):
    done = cookiecutter_cli(REPO, "--no-input")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / DEFAULT_SLUGS["go-gin"] / "main.go").is_file()


def test_menu_answered_with_the_second_choice_generates_python_flask(cookiecutter_cli, tmp_path):
    done = cookiecutter_cli(REPO, stdin="2\n" + "\n" * 10)
    assert done.returncode == 0, done.stderr
    assert "Python + Flask on gunicorn" in done.stdout
    assert (tmp_path / DEFAULT_SLUGS["python-flask"] / "app.py").is_file()
    assert not (tmp_path / DEFAULT_SLUGS["go-gin"]).exists()


def test_relative_template_path_and_other_output_folder_find_the_shared_hooks(cookiecutter_cli, tmp_path):
    work = tmp_path / "elsewhere"
    work.mkdir()
    relative_repo = os.path.relpath(REPO, work)
    done = cookiecutter_cli(
        relative_repo, "--no-input", "--directory", "python-flask", "-o", tmp_path / "out", "port=9000", cwd=work
    )
    assert done.returncode == 0, done.stderr
    assert load_answers(tmp_path / "out" / DEFAULT_SLUGS["python-flask"])["port"] == "9000"


def test_template_folder_given_directly_by_absolute_path_runs_its_hooks(cookiecutter_cli, tmp_path):
    done = cookiecutter_cli(REPO / "go-gin", "--no-input", "port=80")
    assert done.returncode != 0
    assert "port:" in done.stderr
    assert not (tmp_path / DEFAULT_SLUGS["go-gin"]).exists()


def test_template_cloned_from_git_finds_the_shared_hooks(cookiecutter_cli, tmp_path):
    clone_source = tmp_path / "minimal-images"
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in tracked:
        if (REPO / name).is_file():
            (clone_source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone_source / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=clone_source, check=True)
    subprocess.run([*git, "add", "-A"], cwd=clone_source, check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], cwd=clone_source, check=True)

    done = cookiecutter_cli(f"git+file://{clone_source}", "--no-input", "--directory", "go-gin", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "clones" / "minimal-images" / "go-gin").is_dir()
    assert (tmp_path / "out" / DEFAULT_SLUGS["go-gin"] / "main.go").is_file()


@pytest.mark.parametrize("template", ["go-gin", "python-flask"])
def test_saved_answers_regenerate_the_same_project_with_replay_file(cookiecutter_cli, tmp_path, template):
    first = cookiecutter_cli(
        REPO, "--no-input", "--directory", template, "-o", tmp_path / "first", "port=9123", "workshop=yes"
    )
    assert first.returncode == 0, first.stderr
    (project,) = (tmp_path / "first").iterdir()

    again = cookiecutter_cli(
        REPO, "--directory", template, "--replay-file", project / ".cookiecutter.json", "-o", tmp_path / "again"
    )
    assert again.returncode == 0, again.stderr
    comparison = filecmp.dircmp(project, tmp_path / "again" / project.name)
    assert differences(comparison) == []
    assert load_answers(project)["port"] == "9123"


def differences(comparison):
    found = comparison.left_only + comparison.right_only + comparison.diff_files
    for sub in comparison.subdirs.values():
        found += differences(sub)
    return found


def test_next_steps_are_printed_after_generation(cookiecutter_cli):
    done = cookiecutter_cli(REPO, "--no-input", "--directory", "python-flask")
    assert done.returncode == 0, done.stderr
    assert f"cd {DEFAULT_SLUGS['python-flask']}" in done.stdout
    assert "make test" in done.stdout
    assert "make image" in done.stdout


def test_make_new_asks_for_the_template_and_writes_beside_the_clone(tmp_path):
    done = subprocess.run(
        ["make", "--no-print-directory", "new", f"OUTPUT_DIR={tmp_path}"],
        cwd=REPO,
        input="2\n" + "\n" * 10,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / DEFAULT_SLUGS["python-flask"] / "app.py").is_file()
