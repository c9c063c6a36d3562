"""Fixtures for baking templates and for building, running and probing their images.

Baking goes through pytest-cookies; every bake refuses options the template does not define (cookiecutter
would ignore them silently) and checks that nothing was left unrendered. Images are built once per distinct
set of options and shared by every test that asks for the same set.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from slugify import slugify

REPO = Path(__file__).resolve().parents[1]
# The suite's tools come from its virtual environment, which tests/requirements.txt fills: uv among them, which the
# generated python-flask project's make targets run.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "hooks")]
# pytest-cookies renders a template's context before calling cookiecutter, outside the import path that
# cookiecutter gives a template's local Jinja extension: make each template's extension importable here.
sys.path += [str(REPO / template) for template in ("go-gin", "python-flask")]

import base_images  # noqa: E402
import containers  # noqa: E402
from minimal_images.post_gen import load_answers, unrendered_files  # noqa: E402


def template_options(template):
    """The options a template defines (its cookiecutter.json without private keys)."""
    context = json.loads((REPO / template / "cookiecutter.json").read_text(encoding="utf-8"))
    return {key: value for key, value in context.items() if not key.startswith("_")}


def refuse_unknown_options(template, extra_context):
    unknown = sorted(set(extra_context) - set(template_options(template)))
    if unknown:
        raise pytest.UsageError(f"{template} defines no option {', '.join(unknown)}: a typo in the test?")


def baker(cookies):
    def bake(template, **extra_context):
        refuse_unknown_options(template, extra_context)
        result = cookies.bake(template=str(REPO / template), extra_context=extra_context)
        if result.exit_code == 0:
            assert unrendered_files(result.project_path) == []
        return result

    return bake


@pytest.fixture
def bake(cookies):
    """bake(template, **options) -> pytest-cookies result, checked for unknown options and leftovers."""
    return baker(cookies)


# Each template's default project name and the folder (slug) it gives, from the templates' own cookiecutter.json
DEFAULT_NAMES = {
    template: json.loads((REPO / template / "cookiecutter.json").read_text(encoding="utf-8"))["project_name"]
    for template in ("go-gin", "python-flask")
}
DEFAULT_SLUGS = {template: slugify(name) for template, name in DEFAULT_NAMES.items()}


@pytest.fixture(scope="session")
def bake_once(cookies_session):
    return baker(cookies_session)


@pytest.fixture(scope="session")
def default_python_project(bake_once):
    """The python-flask project generated with every default answer."""
    result = bake_once("python-flask")
    assert result.exit_code == 0, result.exception
    return result.project_path


class CookiecutterCLI:
    """The real `cookiecutter` command line, with a config (replays, clones) and a $TMPDIR of its own."""

    def __init__(self, root):
        self.root = root
        self.tmpdir = root / "tmpdir"
        self.tmpdir.mkdir()
        config = root / "cookiecutter-config.yaml"
        config.write_text(
            f"cookiecutters_dir: {json.dumps(str(root / 'clones'))}\n"
            f"replay_dir: {json.dumps(str(root / 'replay'))}\n",
            encoding="utf-8",
        )
        self.env = dict(os.environ, COOKIECUTTER_CONFIG=str(config), TMPDIR=str(self.tmpdir))

    def __call__(self, *args, cwd=None, stdin="", timeout=120):
        return subprocess.run(
            [sys.executable, "-m", "cookiecutter", *map(str, args)],
            cwd=cwd or self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def cookiecutter_cli(tmp_path):
    """cookiecutter_cli(*args, cwd=tmp_path, stdin="") -> the completed `cookiecutter` process."""
    return CookiecutterCLI(tmp_path)


def unavailable(message):
    """Something a test needs is missing: on CI (CI=true) that fails the test, elsewhere it skips with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def engine():
    """The Docker engine: image tests fail on CI when none answers, and skip with the reason elsewhere."""
    problem = containers.engine_problem()
    if problem:
        unavailable(f"no Docker engine answers through {base_images.docker_command()!r}: {problem}")
    return base_images


# Go tools that .ci/run builds once per machine: the Pod Security checker (scripts/podsecurity) and pinned ones.
TOOLS_DIR = Path(os.environ.get("MINIMAL_IMAGES_TOOLS", "/var/cache/minimal-images/bin"))
TOOLS = ("podsecurity", "kube-score", "kustomize")


@pytest.fixture(scope="session")
def tools():
    """The folder holding TOOLS: tests fail on CI when one is missing, and skip with the reason elsewhere."""
    missing = [name for name in TOOLS if not (TOOLS_DIR / name).is_file()]
    if missing:
        unavailable(f"{', '.join(missing)} not in {TOOLS_DIR} (MINIMAL_IMAGES_TOOLS): .ci/run builds them")
    return TOOLS_DIR


def installed_tool(name):
    """The path of a checker, from PATH or TOOLS_DIR; unavailable() when it is in neither."""
    path = shutil.which(name) or shutil.which(name, path=str(TOOLS_DIR))
    if path is None:
        unavailable(f"{name} is neither on PATH nor in {TOOLS_DIR}: .ci/run installs it there")
    return path


class Images:
    """Builds each distinct (template, options, target, platform) image once per test session."""

    def __init__(self, bake_once, seed_contexts):
        self._bake = bake_once
        self._seed_contexts = seed_contexts
        self._projects = {}
        self._builds = {}

    @staticmethod
    def tag(name):
        """An image tag of this test session's own: two suites sharing one engine never overwrite each other's."""
        return f"minimal-images-test-{os.getpid()}/{name}"

    def project(self, template, **options):
        key = (template, tuple(sorted(options.items())))
        if key not in self._projects:
            result = self._bake(template, **options)
            assert result.exit_code == 0, result.exception
            self._projects[key] = result.project_path
        return self._projects[key]

    def build_args(self, template, **options):
        """The base-image build arguments for the project with these options (or for a seed's Dockerfile)."""
        return base_images.build_args_for_answers(template, load_answers(self.project(template, **options)))

    def get(self, template, target=None, platform=None, **options):
        """The image built from a project with these options: a containers.Build."""
        key = (template, tuple(sorted(options.items())), target, platform)
        if key not in self._builds:
            project = self.project(template, **options)
            tag = self.tag(f"{template}:{len(self._builds)}")
            self._builds[key] = containers.build(
                project, tag, self.build_args(template, **options), target=target, platform=platform
            )
        return self._builds[key]

    def seed(self, dockerfile, seed_template, template, **options):
        """The seed approach's image built by `dockerfile` from the same project sources (containers.seed_context)."""
        key = (str(dockerfile), template, tuple(sorted(options.items())))
        if key not in self._builds:
            tag = self.tag(f"seed:{len(self._builds)}")
            project = self.project(template, **options)
            args = base_images.build_args_for_answers(seed_template, load_answers(project))
            context = containers.seed_context(project, self._seed_contexts / str(len(self._builds)))
            self._builds[key] = containers.build(context, tag, args, dockerfile=dockerfile)
        return self._builds[key]


@pytest.fixture(scope="session")
def images(engine, bake_once, tmp_path_factory):
    yield Images(bake_once, tmp_path_factory.mktemp("seed-contexts"))
    prefix = Images.tag("")
    ours = containers.docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    doomed = [tag for tag in ours if tag.startswith(prefix)]
    if doomed:
        containers.docker("image", "rm", "--force", *doomed, check=False)


@pytest.fixture
def start():
    """start(image, port, *docker_run_args, command=()) -> (container, host port); removed after the test."""
    started = []

    def start_container(image, port, *extra_args, command=()):
        container, host_port = containers.run_detached(image, port, *extra_args, command=command)
        started.append(container)
        return container, host_port

    yield start_container
    for container in started:
        containers.remove(container)


def locked_packages(lock_file):
    """A uv.lock's packages from a registry, parsed: {name: (version, [sha256 hashes of its files])}."""
    lock = tomllib.loads(Path(lock_file).read_text(encoding="utf-8"))
    locked = {}
    for package in lock["package"]:
        if "registry" in package.get("source", {}):
            files = [package["sdist"]] if "sdist" in package else []
            files += package.get("wheels", [])
            locked[package["name"]] = (package["version"], [file["hash"] for file in files])
    return locked


def load_benchmark():
    """benchmarks/run.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("benchmark_run", REPO / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
