"""Each project's .gitignore keeps out what its own tools and Makefile write, and nothing the template generated."""

import re
import subprocess

import pytest

GENERATED = [
    ("go-gin", {}),
    ("go-gin", {"workshop": "yes", "module_path": "example.com/acme/hello/v2"}),
    ("python-flask", {}),
    ("python-flask", {"workshop": "yes"}),
]


def git(project, *args):
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout


def make_variable(project, name):
    """A variable's value in the project's Makefile, from make's own database."""
    database = subprocess.run(["make", "-pn", "help"], cwd=project, capture_output=True, text=True).stdout
    match = re.search(rf"^{name} \??= ?(\S+)$", database, flags=re.MULTILINE)
    assert match, f"the Makefile sets no {name}"
    return match.group(1)


def ignored(project, *paths):
    """The paths that git ignores, as git itself decides (check-ignore exits 1 when it ignores none)."""
    done = subprocess.run(["git", "check-ignore", *paths], cwd=project, capture_output=True, text=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(("template", "options"), GENERATED)
def test_nothing_the_template_generates_is_ignored(bake, template, options):
    project = bake(template, **options).project_path
    git(project, "init", "-q")
    assert git(project, "ls-files", "--others", "--ignored", "--exclude-standard") == ""


@pytest.mark.parametrize(("template", "options"), [case for case in GENERATED if case[1].get("workshop")])
def test_what_the_makefile_writes_and_local_secrets_are_ignored(bake, template, options):
    project = bake(template, **options).project_path
    git(project, "init", "-q")
    written = [make_variable(project, "SBOM"), make_variable(project, "KIT"), ".env"]
    for path in written:
        (project / path).write_text("written by a tool\n")
    assert ignored(project, *written) == set(written)


def test_the_binary_go_build_writes_is_ignored_even_for_a_major_version_module_path(bake):
    project = bake("go-gin", module_path="example.com/acme/hello/v2").project_path
    git(project, "init", "-q")
    subprocess.run(["go", "build"], cwd=project, capture_output=True, text=True, check=True, timeout=600)
    binaries = [path.name for path in project.iterdir() if path.is_file() and path.stat().st_mode & 0o111]
    assert binaries == ["hello"]
    assert ignored(project, *binaries) == set(binaries)


def test_the_venv_and_bytecode_of_make_test_are_ignored(bake):
    project = bake("python-flask").project_path
    git(project, "init", "-q")
    done = subprocess.run(["make", "test"], cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / ".venv" / "pyvenv.cfg").is_file()
    left = git(project, "ls-files", "--others", "--exclude-standard").splitlines()
    tools = (".venv/", ".pytest_cache/", ".ruff_cache/")
    assert [path for path in left if path.startswith(tools) or "__pycache__" in path] == []
