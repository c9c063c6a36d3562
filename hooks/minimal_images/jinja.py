"""The Jinja extension every template loads: a sandbox for rendering, and the paths the thin hooks need.

Cookiecutter renders values passed with --no-input (and every default) as Jinja templates in an ordinary
Environment, so a value such as ``{{ cycler.__init__.__globals__ }}`` could reach Python internals. The
extension turns the environment into Jinja's SandboxedEnvironment, which refuses such attribute access.
It also tells the hooks where this library lives, because cookiecutter runs a hook from a temporary copy
in the new project's folder, where neither relative imports nor ``__file__`` lead back here.
And it gives templates ``shared_text(name)``, the text of ``shared/<name>``, for what both put in their
projects word for word (cookiecutter's own loader sees one template's folder only).
"""

from pathlib import Path

from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

SHARED_HOOKS_DIR = Path(__file__).resolve().parent.parent
# Text that both templates put into their projects word for word, pasted by shared_text("name")
SHARED_TEXT_DIR = SHARED_HOOKS_DIR.parent / "shared"


def shared_text(name):
    """A file of SHARED_TEXT_DIR, without its final newline, so the line around the call decides the spacing."""
    return (SHARED_TEXT_DIR / name).read_text(encoding="utf-8").removesuffix("\n")


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


def extension_for(template_dir):
    """The extension class for one template folder (each template imports it from a one-line shim)."""

    class SharedHooks(Extension):
        def __init__(self, environment):
            super().__init__(environment)
            _sandbox(environment)
            environment.globals["shared_hooks_dir"] = str(SHARED_HOOKS_DIR)
            environment.globals["template_dir"] = str(Path(template_dir).resolve())
            environment.globals["shared_text"] = shared_text

    return SharedHooks
