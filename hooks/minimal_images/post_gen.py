"""Post-generation: remove the files of options not chosen, check the result, print the next steps."""

import json
import sys
from pathlib import Path

from .rules import TEMPLATES

LEFTOVER_MARKERS = ("{{ cookiecutter.", "{{cookiecutter.", "{%")


# Paths of the machine that generated the project: cookiecutter sets them anew on every run.
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")
ANSWERS_FILE = ".cookiecutter.json"


def main(template_dir, answers_json):
    template = TEMPLATES[Path(template_dir).name]
    answers = json.loads(answers_json)
    project = Path.cwd()
    remove_unchosen_files(template, answers, project)
    save_answers(answers, project / ANSWERS_FILE)
    leftovers = unrendered_files(project)
    if leftovers:
        for path in leftovers:
            print(f"error: {path} still holds template syntax after rendering", file=sys.stderr)
        return 1
    print(next_steps(template, answers))
    return 0


def remove_unchosen_files(template, answers, project):
    for relative, (field, wanted) in template.files_kept_only_when.items():
        if answers.get(field) != wanted:
            (project / relative).unlink(missing_ok=True)


def save_answers(answers, path):
    """Write the answers in cookiecutter's replay format, so `--replay-file` regenerates the project."""
    kept = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    replay = {"cookiecutter": kept}
    path.write_text(json.dumps(replay, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_answers(project):
    """The answers a generated project saved (the "cookiecutter" part of its replay file)."""
    return json.loads((Path(project) / ANSWERS_FILE).read_text(encoding="utf-8"))["cookiecutter"]


def unrendered_files(project):
    """Files in which a template expression survived rendering (a missing {% raw %}, a typo).

    The saved answers are left out: they hold the templates' own defaults, such as the slug's.
    """
    leftovers = []
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.name == ANSWERS_FILE:
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
