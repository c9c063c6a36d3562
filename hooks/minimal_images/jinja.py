"""The Jinja extension every template loads: a sandbox, checks, shared files, and the paths the thin hooks need.

Cookiecutter renders values passed with --no-input (and every default) as Jinja templates in an ordinary
Environment, so a value such as ``{{ cycler.__init__.__globals__ }}`` could reach Python internals. The
extension turns the environment into Jinja's SandboxedEnvironment, which refuses such attribute access, and
installs the in-process checks of guard.py (with `check_answers` for the templates' `__answers_checked`).
It gives the templates `shared(name)`, which renders a file kept once in shared/ (the Kubernetes manifests and
the Makefile and README pieces both templates carry), and `deploy`, the facts those manifests are rendered from
(deploy.py). It also tells the hooks where this library lives, because cookiecutter runs a hook from a
temporary copy in the new project's folder, where neither relative imports nor ``__file__`` lead back here.
"""

from pathlib import Path

import cookiecutter
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

from . import deploy, guard
from .post_gen import template_version

SHARED_HOOKS_DIR = Path(__file__).resolve().parent.parent
SHARED_FILES_DIR = SHARED_HOOKS_DIR.parent / "shared"


def _sandbox(environment):
    """Give an already constructed environment the sandbox's checks, keeping cookiecutter's own class."""
    if isinstance(environment, SandboxedEnvironment):
        return
    environment.__class__ = type(
        "Sandboxed" + type(environment).__name__,
        (SandboxedEnvironment, type(environment)),
        {},
    )
    environment.binop_table = SandboxedEnvironment.default_binop_table.copy()
    environment.unop_table = SandboxedEnvironment.default_unop_table.copy()


@pass_context
def shared(context, name):
    """Render shared/NAME with the answers being rendered: the one source of a file both templates generate."""
    source = (SHARED_FILES_DIR / name).read_text(encoding="utf-8")
    return context.environment.from_string(source).render(context.get_all())


def extension_for(template_dir):
    """The extension class for one template folder (each template imports it from a one-line shim)."""

    class SharedHooks(Extension):
        def __init__(self, environment):
            super().__init__(environment)
            _sandbox(environment)
            guard.install(Path(template_dir).name, template_version(SHARED_HOOKS_DIR.parent))
            environment.globals["check_answers"] = guard.check_answers
            environment.globals["shared"] = shared
            environment.globals["template_name"] = Path(template_dir).name
            environment.globals["shared_hooks_dir"] = str(SHARED_HOOKS_DIR)
            environment.globals["template_dir"] = str(Path(template_dir).resolve())
            # The hook needs the running cookiecutter's version; asking importlib.metadata there costs 60 ms.
            environment.globals["cookiecutter_version"] = cookiecutter.__version__
            environment.globals["deploy"] = deploy.facts(Path(template_dir).name)

    return SharedHooks
