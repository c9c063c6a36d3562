"""Post-generation: check what this run wrote, save the answers, print the next steps.

The files of options not chosen are never written: their names render empty (cookiecutter skips such a file),
and a user's own file of that name in an existing folder is left alone. A folder cannot be skipped that way
(cookiecutter creates it before its files), so a folder whose every file was skipped is removed here, empty,
unless it was there before this run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from .rules import TEMPLATES

LEFTOVER_MARKERS = ("{{ cookiecutter.", "{{cookiecutter.", "{%")


# Paths of the machine that generated the project: cookiecutter sets them anew on every run.
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")
ANSWERS_FILE = ".cookiecutter.json"
# Set by guard.py in cookiecutter's process: the path of a JSON file listing the files an existing project folder
# held before this run (-f, -s). A file, not the variable's value: a folder with a virtualenv lists thousands of
# files, more than one environment variable may hold (the hooks would fail with "Argument list too long").
PREEXISTING_ENV = "MINIMAL_IMAGES_PREEXISTING"
# Folders that hold only files some answers leave out (the workshop's lesson)
OPTIONAL_FOLDERS = ("lesson",)


def main(template_dir, answers_json):
    template = TEMPLATES[Path(template_dir).name]
    answers = json.loads(answers_json)
    project = Path.cwd()
    save_answers({**answers, **template_provenance(Path(template_dir))}, project / ANSWERS_FILE)
    preexisting = preexisting_files()
    remove_empty_optional_folders(project, preexisting)
    leftovers = unrendered_files(project, preexisting)
    if leftovers:
        for path in leftovers:
            print(f"error: {path} still holds template syntax after rendering", file=sys.stderr)
        return 1
    print(next_steps(template, answers))
    return 0


def template_version(repository):
    """The templates' version: VERSION at the top of the repository (or checkout) being rendered."""
    return (Path(repository) / "VERSION").read_text(encoding="utf-8").strip()


def template_provenance(template_dir):
    """The template version (VERSION at the repository's top) and, in a git checkout, the commit that made this."""
    version = template_version(template_dir.parent)
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=template_dir, capture_output=True, text=True, timeout=30, check=False
        )
        commit = done.stdout.strip() if done.returncode == 0 else "unknown"
    except OSError:  # no git on this machine
        commit = "unknown"
    return {"_template_version": version, "_template_commit": commit}


def save_answers(answers, path):
    """Write the answers in cookiecutter's replay format, so `--replay-file` regenerates the project."""
    kept = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    replay = {"cookiecutter": kept}
    path.write_text(json.dumps(replay, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def load_answers(project):
    """The answers a generated project saved (the "cookiecutter" part of its replay file)."""
    return json.loads((Path(project) / ANSWERS_FILE).read_text(encoding="utf-8"))["cookiecutter"]


def file_signature(path):
    """What shows that a file was not written since: its size and modification time (nothing is read)."""
    stat = Path(path).stat()
    return [stat.st_size, stat.st_mtime_ns]


def preexisting_files():
    """What the project folder held before this run, as guard.py listed it: relative path -> a file's signature,
    or None for a folder."""
    listing = os.environ.get(PREEXISTING_ENV)
    if not listing:
        return {}
    return json.loads(Path(listing).read_text(encoding="utf-8"))


def remove_empty_optional_folders(project, preexisting):
    for name in OPTIONAL_FOLDERS:
        folder = project / name
        if name not in preexisting and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def unrendered_files(project, preexisting=None):
    """Files this run wrote in which a template expression survived rendering (a missing {% raw %}, a typo).

    Left out: the saved answers (they hold the templates' own defaults, such as the slug's), and files that were
    in the folder before this run (`preexisting`: relative path -> signature) and were not written since.
    """
    preexisting = preexisting or {}
    leftovers = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name == ANSWERS_FILE:
            continue
        if preexisting.get(path.relative_to(project).as_posix()) == file_signature(path):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if any(marker in text for marker in LEFTOVER_MARKERS):
            leftovers.append(path.relative_to(project))
    return leftovers


def next_steps(template, answers):
    slug = answers["project_slug"]
    return "\n".join(
        (
            f"Created {slug} from the {template.name} template (runtime: {answers['runtime']}).",
            "Next steps:",
            f"  cd {slug}",
            "  make test    # run the tests",
            "  make image   # build the container image",
            "  make run     # run it on the chosen port",
        )
    )
