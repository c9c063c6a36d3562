"""Pre-generation: refuse bad answers before any file is written."""

import json
import os
import subprocess
import sys
from pathlib import Path

from . import validate

CLEANUP_SECONDS = 10


def main(template_dir, answers_json, raw_answers_json):
    template_name = Path(template_dir).name
    answers = json.loads(answers_json)
    defaults = json.loads((Path(template_dir) / "cookiecutter.json").read_text(encoding="utf-8"))
    for warning in validate.cautions(template_name, answers):
        print(f"warning: {warning}", file=sys.stderr)
    problems = validate.problems(template_name, answers, json.loads(raw_answers_json), defaults)
    problems += filter(None, [validate.cookiecutter_version_problem(cookiecutter_version())])
    if not problems:
        return 0
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"error: nothing was generated ({len(problems)} problem(s) above)", file=sys.stderr)
    _remove_folders_made_for_a_nested_name(Path.cwd(), Path(answers["_output_dir"]))
    return 1


def cookiecutter_version():
    """The version of the cookiecutter that runs this hook (it runs hooks with its own interpreter)."""
    from importlib.metadata import version

    return version("cookiecutter")


def _remove_folders_made_for_a_nested_name(project_dir, output_dir):
    """A slug with a slash makes cookiecutter create folders between the output folder and the project.

    Cookiecutter removes only the project folder itself, and only after this hook exits, so a detached
    process waits for that and then removes the empty folders it had made on the way.
    """
    made_on_the_way = [p for p in project_dir.parents if output_dir in p.parents]
    if not made_on_the_way:
        return
    script = (
        "import os, sys, time\n"
        "deadline = time.monotonic() + float(sys.argv[1])\n"
        "while os.path.exists(sys.argv[2]) and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "for folder in sys.argv[3:]:\n"
        "    try:\n"
        "        os.rmdir(folder)\n"
        "    except OSError:\n"
        "        break\n"
    )
    subprocess.Popen(
        [sys.executable, "-c", script, str(CLEANUP_SECONDS), str(project_dir), *map(str, made_on_the_way)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=os.sep,
    )
