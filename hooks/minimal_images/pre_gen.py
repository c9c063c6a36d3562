"""Pre-generation: refuse bad answers before any file is written.

Inside cookiecutter's own process, guard.py has already checked every answer before the project folder was
made; this hook checks them again, so the rules hold even where guard.py could not wrap cookiecutter (say, a
future version whose internals moved).
"""

import json
import sys
from pathlib import Path

from . import validate


def main(template_dir, answers_json, raw_answers_json, cookiecutter_version):
    template_name = Path(template_dir).name
    answers = json.loads(answers_json)
    defaults = json.loads((Path(template_dir) / "cookiecutter.json").read_text(encoding="utf-8"))
    for warning in validate.cautions(template_name, answers):
        print(f"warning: {warning}", file=sys.stderr)
    problems = validate.refusals(template_name, answers, json.loads(raw_answers_json), defaults, cookiecutter_version)
    if not problems:
        return 0
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"error: nothing was generated ({len(problems)} problem(s) above)", file=sys.stderr)
    return 1
