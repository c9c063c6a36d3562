"""Checks that run inside cookiecutter's own process, before it writes anything.

Cookiecutter writes the replay file and creates the project folder before the pre-generation hook runs, and a
hook can only refuse all answers at once, after the last question. So the Jinja extension every template loads
(which cookiecutter imports in its own process, before prompting and before generating) wraps five of
cookiecutter's functions:

- read_user_variable: a bad free-text answer is refused at once, with our one line, and asked again;
- prompt_choice_for_config: a menu offers only the choices that go with the earlier answers;
- dump (the replay file) and render_and_create_dir (the project folder): every answer is checked first, and a
  refusal raises AnswersRefused, which cookiecutter's command line prints as its last line, without a traceback;
- run_hook_from_repo_dir: after the post-generation hook, generation counts as finished.

Between creating the project folder and finishing, Ctrl-C or SIGTERM removes the folder this run created.
Each wrapper looks its function up when installed and falls back to cookiecutter's own behaviour where a name
is missing (a future cookiecutter), leaving the pre-generation hook as the check.
"""

import atexit
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from cookiecutter import __version__
from cookiecutter.exceptions import FailedHookException

from . import validate
from .post_gen import PREEXISTING_ENV, file_digest
from .rules import TEMPLATES


class AnswersRefused(FailedHookException):
    """Raised before anything is written; cookiecutter's command line prints it and exits with status 1."""


def template_of(answers):
    """Which of our templates these answers are for (by the extension it loads), or None for another template."""
    extensions = answers.get("_extensions") or ()
    for name in TEMPLATES:
        if f"{name.replace('-', '_')}_extension.SharedHooks" in extensions:
            return name
    return None


def defaults_of(template_name):
    template_dir = Path(__file__).resolve().parents[2] / template_name
    return json.loads((template_dir / "cookiecutter.json").read_text(encoding="utf-8"))


def refuse_bad_answers(context):
    """Print every problem with the answers, one line each, and raise AnswersRefused; do nothing when all pass."""
    answers = context.get("cookiecutter", {})
    template_name = template_of(answers)
    if template_name is None:
        return
    raw_answers = context.get("_cookiecutter")
    problems = validate.refusals(template_name, answers, raw_answers, defaults_of(template_name), __version__)
    if not problems:
        return
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    raise AnswersRefused(f"error: nothing was generated ({len(problems)} problem(s) above)")


class Run:
    """The project folder one generation created, removed again if the run is interrupted before it finishes."""

    current = None

    def __init__(self, project_dir):
        self.project_dir = Path(project_dir)
        self.finished = False
        self.interrupted = False
        self.previous_handlers = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous_handlers[signum] = signal.signal(signum, self._interrupt)
            except ValueError:  # not the main thread: leave signals alone
                break
        atexit.register(self.clean_up)

    def _interrupt(self, signum, frame):
        self.interrupted = True
        self.clean_up()
        raise KeyboardInterrupt(f"generation interrupted by signal {signum}")

    def finish(self):
        self.finished = True
        for signum, handler in self.previous_handlers.items():
            signal.signal(signum, handler)
        self.previous_handlers = {}

    def clean_up(self):
        if self.interrupted and not self.finished:
            shutil.rmtree(self.project_dir, ignore_errors=True)


def _snapshot(project_dir):
    """Digest of every file already in an existing project folder (generating with -f or -s), by relative path."""
    if not project_dir.is_dir():
        return {}
    found = {}
    for path in project_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(project_dir).as_posix()] = file_digest(path)
    return found


def _inside(path, folder):
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def _checked_read_user_variable(original):
    def read_user_variable(var_name, default_value, prompts=None, prefix=""):
        while True:
            value = original(var_name, default_value, prompts, prefix)
            problem = validate.answer_problem(_Active.template, var_name, value)
            if problem is None:
                return value
            print(f"error: {problem}", file=sys.stderr)
            print("Please answer again.", file=sys.stderr)

    return read_user_variable


def _narrowed_prompt_choice_for_config(original):
    def prompt_choice_for_config(cookiecutter_dict, env, key, options, no_input, prompts=None, prefix=""):
        # Only a menu shown to the user is narrowed: with --no-input an explicit choice must reach the check whole.
        allowed = options if no_input else validate.choices_allowed(_Active.template, key, cookiecutter_dict, options)
        return original(cookiecutter_dict, env, key, allowed, no_input, prompts, prefix)

    return prompt_choice_for_config


def _checked_dump(original):
    def dump(replay_dir, template_name, context):
        refuse_bad_answers(context)
        return original(replay_dir, template_name, context)

    return dump


def _checked_render_and_create_dir(original):
    def render_and_create_dir(dirname, context, output_dir, environment, overwrite_if_exists=False):
        top_level = not os.path.isabs(dirname)  # cookiecutter passes nested folders as absolute paths
        if not top_level or template_of(context.get("cookiecutter", {})) is None:
            return original(dirname, context, output_dir, environment, overwrite_if_exists)
        refuse_bad_answers(context)
        rendered = environment.from_string(dirname).render(**context)
        if not _inside(Path(output_dir, rendered), output_dir) or Path(rendered).name != rendered:
            raise AnswersRefused(f"error: the project folder {rendered!r} would not be directly inside {output_dir}")
        os.environ[PREEXISTING_ENV] = json.dumps(_snapshot(Path(output_dir, rendered)))
        project_dir, created = original(dirname, context, output_dir, environment, overwrite_if_exists)
        if created:
            Run.current = Run(project_dir)
        return project_dir, created

    return render_and_create_dir


def _finishing_run_hook_from_repo_dir(original):
    def run_hook_from_repo_dir(repo_dir, hook_name, project_dir, context, delete_project_on_failure):
        original(repo_dir, hook_name, project_dir, context, delete_project_on_failure)
        if hook_name == "post_gen_project" and Run.current is not None:
            Run.current.finish()

    return run_hook_from_repo_dir


class _Active:
    """The template whose extension cookiecutter loaded last: the one being prompted for."""

    template = None


WRAPPERS = (
    ("cookiecutter.prompt", "read_user_variable", _checked_read_user_variable),
    ("cookiecutter.prompt", "prompt_choice_for_config", _narrowed_prompt_choice_for_config),
    ("cookiecutter.main", "dump", _checked_dump),
    ("cookiecutter.generate", "render_and_create_dir", _checked_render_and_create_dir),
    ("cookiecutter.generate", "run_hook_from_repo_dir", _finishing_run_hook_from_repo_dir),
)
_MARK = "_minimal_images_wrapped"


def install(template_name):
    """Wrap cookiecutter's functions once per process; remember which template is being generated."""
    _Active.template = template_name
    import importlib

    for module_name, attribute, wrapper in WRAPPERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        original = getattr(module, attribute, None)
        if original is None or getattr(original, _MARK, False):
            continue
        wrapped = wrapper(original)
        setattr(wrapped, _MARK, True)
        setattr(module, attribute, wrapped)


def installed():
    """The wrapped functions' names, to check that this cookiecutter still has all five."""
    import importlib

    return [
        f"{module_name}.{attribute}"
        for module_name, attribute, _ in WRAPPERS
        if getattr(getattr(importlib.import_module(module_name), attribute, None), _MARK, False)
    ]
