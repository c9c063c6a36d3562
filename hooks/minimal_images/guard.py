"""Checks that run inside cookiecutter's own process, before it writes anything.

Cookiecutter writes the replay file and creates the project folder before the pre-generation hook runs, and a
hook can only refuse all answers at once, after the last question. So the Jinja extension every template loads
(which cookiecutter, pytest-cookies and cruft all import in their own process) adds two checks:

- `check_answers`, a Jinja function that the templates' last, private variable `__answers_checked` calls: cookiecutter
  renders such variables after the last question and before anything is written, on every path that asks or
  fills in answers (the command line, its Python API, cruft create, link and update);
- wrappers around four of cookiecutter's functions: read_user_variable (a bad free-text answer is refused at once
  and asked again), prompt_choice_for_config (a menu offers only the choices that go with the earlier answers),
  render_and_create_dir (every answer is checked again, with the raw values, before the project folder is made:
  this is the check a replay file meets; and a cruft update that would go back to an older template version is
  refused), and run_hook_from_repo_dir (an error other than cookiecutter's own on the way to a hook removes the
  folder this run created; after the post-generation hook, generation counts as finished).

A refusal prints one line per problem and a last summary line, then exits with status 1 (SystemExit, as
cookiecutter itself does when a user declines to overwrite), so no traceback follows our lines. Between creating
the project folder and finishing, Ctrl-C or SIGTERM removes the folder this run created. Each wrapper looks its
function up when installed and is skipped where a name is missing (a future cookiecutter), leaving
`__answers_checked` and the pre-generation hook as the checks.
"""

import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import ClassVar

from cookiecutter import __version__
from cookiecutter.exceptions import FailedHookException
from jinja2.exceptions import UndefinedError

from . import validate
from .post_gen import PREEXISTING_ENV, file_signature
from .rules import TEMPLATES


class AnswersRefused(SystemExit):
    """Raised before anything is written, after our lines are printed: the command exits with status 1."""

    def __init__(self, summary):
        print(summary, file=sys.stderr)
        super().__init__(1)
        self.summary = summary


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


def check_answers(answers):
    """The Jinja function behind `__answers_checked`: refuse bad answers as soon as the last one is known."""
    refuse_bad_answers({"cookiecutter": dict(answers)})
    return "yes"


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


def _list_preexisting_files(project_dir):
    """List the files and folders already in an existing project folder (-f or -s), for the post-gen hook.

    The list goes to a temporary file, removed when this process exits, whose path PREEXISTING_ENV names.
    """
    os.environ.pop(PREEXISTING_ENV, None)  # from an earlier generation in this process
    if not project_dir.is_dir():
        return
    found = {}
    for path in project_dir.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_file():
            found[path.relative_to(project_dir).as_posix()] = file_signature(path)
        elif path.is_dir():
            found[path.relative_to(project_dir).as_posix()] = None
    handle, listing = tempfile.mkstemp(prefix="minimal-images-preexisting-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(found, stream)
    atexit.register(Path(listing).unlink, missing_ok=True)
    os.environ[PREEXISTING_ENV] = listing


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


def _checked_render_and_create_dir(original):
    def render_and_create_dir(dirname, context, output_dir, environment, overwrite_if_exists=False):
        top_level = not os.path.isabs(dirname)  # cookiecutter passes nested folders as absolute paths
        if not top_level or template_of(context.get("cookiecutter", {})) is None:
            return original(dirname, context, output_dir, environment, overwrite_if_exists)
        refuse_bad_answers(context)
        _refuse_a_downgrade(context.get("cookiecutter", {}))
        rendered = environment.from_string(dirname).render(**context)
        if not _inside(Path(output_dir, rendered), output_dir) or Path(rendered).name != rendered:
            raise AnswersRefused(f"error: the project folder {rendered!r} would not be directly inside {output_dir}")
        _list_preexisting_files(Path(output_dir, rendered))
        project_dir, created = original(dirname, context, output_dir, environment, overwrite_if_exists)
        if created:
            Run.current = Run(project_dir)
        return project_dir, created

    return render_and_create_dir


def version_tuple(version):
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _refuse_a_downgrade(answers):
    """cruft update renders the project's template commit, then the target, in one process: refuse going back."""
    if "_commit" not in answers:  # only cruft records the commit it renders
        return
    _Active.rendered_versions.append(_Active.version)
    newest = max(_Active.rendered_versions, key=version_tuple)
    if version_tuple(_Active.version) < version_tuple(newest):
        print(
            f"error: the template would go back from version {newest} to {_Active.version}; "
            "accepted: the same or a newer version (check out a newer tag)",
            file=sys.stderr,
        )
        raise AnswersRefused("error: nothing was updated (a downgrade)")


def _finishing_run_hook_from_repo_dir(original):
    def run_hook_from_repo_dir(repo_dir, hook_name, project_dir, context, delete_project_on_failure):
        try:
            original(repo_dir, hook_name, project_dir, context, delete_project_on_failure)
        except (FailedHookException, UndefinedError):
            raise  # cookiecutter has removed the folder it created
        except Exception:
            # Any other error on the way to a hook (a tool such as cruft whose context lacks a key) would leave
            # the folder cookiecutter created: remove it, as cookiecutter does for a failed hook.
            if delete_project_on_failure:
                shutil.rmtree(project_dir, ignore_errors=True)
            raise
        if hook_name == "post_gen_project" and Run.current is not None:
            Run.current.finish()

    return run_hook_from_repo_dir


class _Active:
    """The template whose extension cookiecutter loaded last (the one being prompted for), and its version."""

    template = None
    version = "0"
    rendered_versions: ClassVar[list[str]] = []


WRAPPERS = (
    ("cookiecutter.prompt", "read_user_variable", _checked_read_user_variable),
    ("cookiecutter.prompt", "prompt_choice_for_config", _narrowed_prompt_choice_for_config),
    ("cookiecutter.generate", "render_and_create_dir", _checked_render_and_create_dir),
    ("cookiecutter.generate", "run_hook_from_repo_dir", _finishing_run_hook_from_repo_dir),
)
_MARK = "_minimal_images_wrapped"


def install(template_name, template_version):
    """Wrap cookiecutter's functions once per process; remember which template is being generated."""
    _Active.template = template_name
    _Active.version = template_version
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
    """The wrapped functions' names, to check that this cookiecutter still has all of them."""
    import importlib

    return [
        f"{module_name}.{attribute}"
        for module_name, attribute, _ in WRAPPERS
        if getattr(getattr(importlib.import_module(module_name), attribute, None), _MARK, False)
    ]
