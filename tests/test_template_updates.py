"""Generated projects can follow the template: cruft create, link, check and update, with our checks intact."""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import DEFAULT_SLUGS, REPO, locked_packages
from minimal_images.post_gen import load_answers

CRUFT = Path(sys.executable).with_name("cruft")
GIT_IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
README_TITLE_LINE = 2  # 0-based: the line after the template's two Jinja `set` lines
TEMPLATE_FOLDER = "go-gin/{{cookiecutter.project_slug}}"


def git(*args, cwd):
    return subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True)


V1, V2 = "1.1.0", "1.2.0"
# The release before this checkout's, as it landed (the commit of main that carried it): its projects must update.
PREVIOUS_RELEASE = ("1.3.0", "c85d44eadc5cf685319b01b2b192faa8e1292fbc")


class TemplateRepo:
    """A git repository made from this checkout's files, to which a test can commit template changes."""

    def __init__(self, path):
        self.path = path
        path.mkdir(parents=True)
        git("init", "-q", cwd=path)
        self.copy_checkout()
        self.set_version(V1)  # whatever this checkout's VERSION says, the tests' versions are these two
        self.commit("template v1", "v1")

    def copy_checkout(self):
        """This checkout's files (tracked, and untracked ones git does not ignore), in place of the repo's own."""
        for old in git("ls-files", cwd=self.path).stdout.splitlines():
            (self.path / old).unlink()
        listed = git("ls-files", "-co", "--exclude-standard", cwd=REPO).stdout.splitlines()
        for relative in listed:
            source = REPO / relative
            if source.is_file():
                (self.path / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.path / relative)

    @classmethod
    def at_release(cls, path, version, commit):
        """The template as a past release shipped it: that commit's files, from this checkout's history."""
        if subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=REPO).returncode != 0:
            pytest.fail(f"release {version} ({commit}) is not in this clone's history: clone without --depth")
        repo = cls.__new__(cls)
        repo.path = path
        path.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
        git("init", "-q", cwd=path)
        assert (path / "VERSION").read_text().strip() == version
        repo.commit(f"template {version}", f"v{version}")
        return repo

    def commit(self, message, tag):
        git("add", "-A", cwd=self.path)
        git("commit", "-qm", message, cwd=self.path)
        git("tag", tag, cwd=self.path)

    def edit(self, relative, change):
        file = self.path / relative
        file.write_text(change(file.read_text(encoding="utf-8")), encoding="utf-8")

    def set_version(self, version):
        (self.path / "VERSION").write_text(version + "\n")


@pytest.fixture
def template_repo(tmp_path):
    return TemplateRepo(Path(tmp_path / "template"))


def python_requirements_added(project, requirement):
    """A user's dependency added as the release before uv documented it: a line in requirements.in."""
    requirements = project / "requirements.in"
    requirements.write_text(requirements.read_text(encoding="utf-8") + requirement + "\n", encoding="utf-8")


@pytest.fixture
def cruft(cookiecutter_cli):
    """cruft(*args, cwd) -> the completed process, with the same config and $TMPDIR as cookiecutter_cli."""

    def run(*args, cwd):
        return subprocess.run(
            [str(CRUFT), *map(str, args)],
            cwd=cwd,
            env=cookiecutter_cli.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


def replace_line(index, new_line):
    def change(text):
        lines = text.splitlines(keepends=True)
        lines[index] = new_line + "\n"
        return "".join(lines)

    return change


def committed_project(project):
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "generated", cwd=project)


def test_cruft_update_brings_template_changes_and_keeps_the_users_edit(cruft, template_repo, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    made = cruft("create", template_repo.path, "--directory", "go-gin", "-y", cwd=out)
    assert made.returncode == 0, made.stderr
    project = out / DEFAULT_SLUGS["go-gin"]
    committed_project(project)
    # The user rewrites the README's title line and commits it.
    (project / "README.md").write_text(
        replace_line(0, "# Hello Gin, as our team calls it")((project / "README.md").read_text())
    )
    git("commit", "-qam", "our title", cwd=project)
    # The template changes that same line (a conflict) and a file the user never touched.
    template_repo.edit(
        f"{TEMPLATE_FOLDER}/README.md", replace_line(README_TITLE_LINE, "# {{ cookiecutter.project_name }} (v2)")
    )
    template_repo.edit(
        f"{TEMPLATE_FOLDER}/main.go", lambda text: text.replace("\npackage main\n", "\n// v2\npackage main\n", 1)
    )
    template_repo.set_version(V2)
    template_repo.commit("template v2", "v2")

    assert cruft("check", cwd=project).returncode != 0
    updated = cruft("update", "-y", cwd=project)
    assert updated.returncode == 0, updated.stderr
    assert "\n// v2\npackage main\n" in (project / "main.go").read_text()
    readme = (project / "README.md").read_text()
    assert "# Hello Gin, as our team calls it" in readme  # the user's edit survives
    assert "<<<<<<<" in readme and "# Hello Gin (v2)" in readme  # the conflict is shown, not dropped
    assert "README.md" in git("diff", "--name-only", "--diff-filter=U", cwd=project).stdout
    assert load_answers(project)["_template_version"] == V2
    assert cruft("check", cwd=project).returncode == 0


def test_cruft_update_to_an_older_template_version_is_refused(cruft, template_repo, tmp_path):
    template_repo.set_version(V2)
    template_repo.commit("template v2", "v2")
    out = tmp_path / "out"
    out.mkdir()
    assert cruft("create", template_repo.path, "--directory", "go-gin", "-y", cwd=out).returncode == 0
    project = out / DEFAULT_SLUGS["go-gin"]
    committed_project(project)
    done = cruft("update", "-y", "--checkout", "v1", cwd=project)
    assert done.returncode != 0
    assert f"go back from version {V2} to {V1}" in done.stderr
    assert git("status", "--porcelain", cwd=project).stdout == ""


def test_cruft_create_refuses_a_bad_answer_with_our_line_and_leaves_nothing(
    cruft, cookiecutter_cli, template_repo, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    done = cruft(
        "create", template_repo.path, "--directory", "go-gin", "-y", "--extra-context", '{"port": "80"}', cwd=out
    )
    assert done.returncode != 0
    assert [line for line in done.stderr.splitlines() if line.startswith("error: port: ")] != []
    assert "Traceback" not in done.stderr + done.stdout
    assert list(out.iterdir()) == []
    assert list(cookiecutter_cli.tmpdir.iterdir()) == []


@pytest.fixture
def plain_project(cookiecutter_cli, template_repo, tmp_path):
    """A project made with plain cookiecutter from the template repository, committed."""
    done = cookiecutter_cli(template_repo.path, "--no-input", "--directory", "go-gin", "port=9191", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    committed_project(tmp_path / DEFAULT_SLUGS["go-gin"])
    return tmp_path / DEFAULT_SLUGS["go-gin"]


def saved_answers_as_extra_context(project):
    return json.dumps({key: value for key, value in load_answers(project).items() if not key.startswith("_")})


def test_cruft_link_adopts_a_plain_cookiecutter_project_with_its_answers(cruft, template_repo, plain_project):
    extra = saved_answers_as_extra_context(plain_project)
    done = cruft("link", template_repo.path, "--directory", "go-gin", "-y", "--extra-context", extra, cwd=plain_project)
    assert done.returncode == 0, done.stderr
    state = json.loads((plain_project / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["port"] == "9191"
    assert cruft("check", cwd=plain_project).returncode == 0


def test_cruft_link_with_a_bad_answer_is_refused_and_writes_nothing(cruft, template_repo, plain_project):
    done = cruft(
        "link",
        template_repo.path,
        "--directory",
        "go-gin",
        "-y",
        "--extra-context",
        '{"port": "70000"}',
        cwd=plain_project,
    )
    assert done.returncode != 0
    assert [line for line in done.stderr.splitlines() if line.startswith("error: port: ")] != []
    assert not (plain_project / ".cruft.json").exists()
    assert git("status", "--porcelain", cwd=plain_project).stdout == ""


def test_make_update_template_names_cruft_in_the_generated_project(bake):
    result = bake("go-gin")
    targets = subprocess.run(["make", "help"], cwd=result.project_path, capture_output=True, text=True).stdout
    assert "update-template" in targets and "check-template" in targets


def test_template_version_and_commit_are_recorded(bake):
    result = bake("python-flask")
    saved = load_answers(result.project_path)
    assert saved["_template_version"] == (REPO / "VERSION").read_text().strip()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    assert saved["_template_commit"] == (head or "unknown")


def test_a_project_of_the_previous_release_updates_and_moves_its_requirements_into_uv(cruft, tmp_path):
    version, commit = PREVIOUS_RELEASE
    template = TemplateRepo.at_release(tmp_path / "template", version, commit)
    out = tmp_path / "out"
    out.mkdir()
    made = cruft("create", template.path, "--directory", "python-flask", "-y", cwd=out)
    assert made.returncode == 0, made.stderr
    project = out / DEFAULT_SLUGS["python-flask"]
    python_requirements_added(project, "six~=1.16")
    committed_project(project)
    this_version = (REPO / "VERSION").read_text(encoding="utf-8").strip()
    template.copy_checkout()
    template.commit(f"template {this_version}", f"v{this_version}")

    updated = cruft("update", "-y", cwd=project)
    assert updated.returncode == 0, updated.stderr
    assert load_answers(project)["_template_version"] == this_version
    migrated = subprocess.run(["make", "migrate-requirements"], cwd=project, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    assert sorted(path.name for path in project.glob("requirements*")) == []
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert "six~=1.16" in settings["project"]["dependencies"]
    assert {"flask", "gunicorn", "six"} <= locked_packages(project / "uv.lock").keys()
    checked = subprocess.run(["uv", "lock", "--check", "--offline"], cwd=project, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
