"""Base images for building the templates' images, official or made locally.

The templates' Dockerfiles start from official images (golang, gcr.io/distroless/..., python) named in the
BUILDER_IMAGE and RUNTIME_IMAGE build arguments. A machine that reaches no container registry cannot pull them,
so this module makes stand-ins from Debian's archive and the machine's Go toolchain, keeps them in the Docker
engine under minimal-images/*, and hands out the build arguments that point at them; podman builds get the
same stand-ins, copied from the Docker engine into podman's image store.
It runs before any virtual environment exists, so it uses the standard library only.

    python3 scripts/base_images.py ensure-all                  # make every stand-in, print names and sizes
    python3 scripts/base_images.py build-args TEMPLATE RUNTIME # the --build-arg words for one image
"""

import argparse
import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "minimal-images"
RECIPES = Path(__file__).resolve().with_name("base_images")
REPO_ROOT = RECIPES.parents[1]
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# docker import starts an image with no environment at all; a shell in it needs at least a PATH
IMPORTED_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# A tiny official image: pulling it is the cheapest honest question "does a registry answer the engine?"
REGISTRY_PROBE_IMAGE = "busybox:1.37"
REGISTRY_PROBE_SECONDS = 20
SCRATCH = "scratch"  # Docker's empty image: nothing to make, nothing to pull
ANY_RUNTIME = "*"  # the seed Dockerfiles do not choose a runtime


class StandInError(RuntimeError):
    """A stand-in could not be made; the message says what to install or what failed."""


@dataclass(frozen=True)
class Debootstrap:
    """A Debian root made by debootstrap, with the host's CA bundle so that containers trust its TLS proxy."""

    suite: str
    dependencies = ()

    def make(self, reference, label):
        require_program("debootstrap", "install it with apt-get install -y debootstrap")
        with tempfile.TemporaryDirectory(prefix="minimal-images-debootstrap-") as root:
            run(["debootstrap", "--variant=minbase", self.suite, root, DEBIAN_MIRROR])
            drop_package_downloads(Path(root))
            install_host_ca_bundle(Path(root))
            import_root(Path(root), reference, label)


@dataclass(frozen=True)
class Recipe:
    """A Dockerfile in scripts/base_images/ built FROM another stand-in."""

    dockerfile: str
    base: str
    target: str | None = None
    packages: str = ""  # Debian packages, separated by spaces
    # The golang recipe copies the machine's toolchain: its GOROOT is the build context
    go_toolchain: bool = False
    runtime_base: str | None = None  # a second stand-in the recipe copies from, as RUNTIME_BASE_IMAGE
    version_arg: str | None = None  # a build argument that gets the stand-in's tag (the tool's version)

    @property
    def dependencies(self):
        return (self.base, self.runtime_base) if self.runtime_base else (self.base,)

    def make(self, reference, label):
        args = {"BASE_IMAGE": stand_in_reference(self.base)}
        if self.runtime_base:
            args["RUNTIME_BASE_IMAGE"] = stand_in_reference(self.runtime_base)
        context = RECIPES
        if self.packages:
            args["PACKAGES"] = self.packages
        if self.go_toolchain:
            context = go_root()
            args["GOLANG_VERSION"] = go_version_for(reference, context)
        if self.version_arg:
            args[self.version_arg] = reference.rpartition(":")[2]
        command = [docker_command(), "build", "--progress=plain", "-f", str(RECIPES / self.dockerfile)]
        command += ["-t", reference, "--label", label, *build_arg_words(args)]
        if self.target:
            command += ["--target", self.target]
        run([*command, str(context)], env=dict(os.environ, DOCKER_BUILDKIT="1"))


# What python3.13 needs at run time on Debian 13 (tzdata, netbase and media-types the recipe always adds);
# python3-minimal brings the /usr/bin/python3 link that distroless images have. libstdc++6 and libgomp1: the real
# distroless python3 is built on distroless cc, which adds them so that C++ and OpenMP extension modules load.
PYTHON3_RUNTIME_PACKAGES = (
    "libc6 libgcc-s1 libstdc++6 libgomp1 libssl3t64 libzstd1 zlib1g libexpat1 libffi8 libbz2-1.0 liblzma5"
    " libsqlite3-0 libncursesw6"
    " libtinfo6 libreadline8t64 libuuid1 libcrypt1 libdb5.3t64 python3.13-minimal libpython3.13-minimal"
    " libpython3.13-stdlib readline-common python3-minimal"
)


# distroless base-debian13: static's files plus the C library and OpenSSL (base/config.bzl in distroless)
BASE_RUNTIME_PACKAGES = "libc6 libssl3t64 libzstd1 zlib1g"


def template_uv_version():
    """The uv release python-flask's Dockerfile pins (its UV_IMAGE default): the stand-in carries the same one."""
    dockerfile = REPO_ROOT / "python-flask" / "{{cookiecutter.project_slug}}" / "Dockerfile"
    match = re.search(r"^ARG UV_IMAGE=\S+:(\S+)$", dockerfile.read_text(encoding="utf-8"), flags=re.MULTILINE)
    if match is None:
        raise StandInError(f"{dockerfile} names no UV_IMAGE default with a version tag")
    return match[1]


UV = f"uv:{template_uv_version()}"

# Every stand-in, by its name under PREFIX, and how it is made (its dependencies first, in this order)
STAND_INS = {
    "debian:trixie": Debootstrap(suite="trixie"),
    "golang:1.26": Recipe("golang.Dockerfile", base="debian:trixie", go_toolchain=True),
    "static-debian13:nonroot": Recipe("distroless.Dockerfile", base="debian:trixie", target="static"),
    "base-debian13:nonroot": Recipe(
        "distroless.Dockerfile", base="debian:trixie", target="static", packages=BASE_RUNTIME_PACKAGES
    ),
    "python-builder:3.13": Recipe("python-builder.Dockerfile", base="debian:trixie"),
    "python3-debian13:nonroot": Recipe(
        "distroless.Dockerfile", base="debian:trixie", target="python3", packages=PYTHON3_RUNTIME_PACKAGES
    ),
    "python-build:3.13": Recipe("python-build.Dockerfile", base="python-builder:3.13"),
    # Astral's uv image, with the binaries of the uv wheel on PyPI
    UV: Recipe("uv.Dockerfile", base="python-build:3.13", version_arg="UV_VERSION"),
    # The seed's python:alpine, builder and fresh runtime, with the official image's /usr/local layout
    "seed-python-build:3.13": Recipe("seed-python.Dockerfile", base="python-build:3.13", target="build"),
    "seed-python:3.13": Recipe(
        "seed-python.Dockerfile", base="python-build:3.13", target="runtime", runtime_base="python3-debian13:nonroot"
    ),
}

# The only versions the stand-ins carry, by the name of the template option that chooses one
STAND_IN_VERSIONS = {"go_version": "1.26", "python_version": "3.13"}

# (template, runtime) -> (BUILDER_IMAGE, RUNTIME_IMAGE) in stand-in mode
BASES = {
    ("go-gin", "scratch"): ("golang:1.26", SCRATCH),
    ("go-gin", "distroless"): ("golang:1.26", "static-debian13:nonroot"),
    ("python-flask", "distroless"): ("python-builder:3.13", "python3-debian13:nonroot"),
    ("python-flask", "scratch"): ("python-builder:3.13", SCRATCH),
    ("python-flask", "slim"): ("python-builder:3.13", "python-builder:3.13"),
    ("seed-go", ANY_RUNTIME): ("golang:1.26", SCRATCH),
    # The seed's python:alpine: a builder with pip and gcc, and a fresh Python of alpine's size; in both, the
    # standard library and pip's installs (as root: dist-packages) are under /usr/local/lib/python3.13
    ("seed-python", ANY_RUNTIME): ("seed-python-build:3.13", "seed-python:3.13"),
}


# Images a template's Dockerfile copies tools from (build-stage only), by build argument; the seeds use none
TOOL_IMAGES = {"python-flask": {"UV_IMAGE": UV}}

# The other bases a (template, runtime)'s Dockerfile names, by build argument: the runtime of a cgo build
OPTION_BASES = {("go-gin", "distroless"): {"CGO_RUNTIME_IMAGE": "base-debian13:nonroot"}}

# The lesson's other bases (a workshop project's Makefile variables, beside BUILDER_IMAGE and RUNTIME_IMAGE)
LESSON_BASES = {
    "go-gin": {"SLIM_IMAGE": "debian:trixie"},
    # python:3.13 (with compilers and pip), python:3.13-slim, distroless python3
    "python-flask": {
        "PYTHON_IMAGE": "python-build:3.13",
        "SLIM_IMAGE": "python-builder:3.13",
        "DISTROLESS_IMAGE": "python3-debian13:nonroot",
    },
}


def docker_command():
    return os.environ.get("DOCKER", "docker")


def podman_command():
    return os.environ.get("PODMAN", "podman")


@functools.cache
def mode():
    """Official images when a registry answers the engine, else stand-ins; MINIMAL_IMAGES_BASES overrides."""
    setting = os.environ.get("MINIMAL_IMAGES_BASES", "auto")
    if setting in ("official", "stand-in"):
        return setting
    if setting != "auto":
        raise ValueError(f"MINIMAL_IMAGES_BASES is {setting!r}; expected official, stand-in or auto")
    return "official" if registry_answers() else "stand-in"


def registry_answers():
    try:
        probe = subprocess.run(
            [docker_command(), "pull", "--quiet", REGISTRY_PROBE_IMAGE],
            capture_output=True,
            timeout=REGISTRY_PROBE_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def build_args(template, runtime, **versions):
    """The BUILDER_IMAGE and RUNTIME_IMAGE build arguments for one image ({} when official images are pulled)."""
    builder, runtime_image = bases_for(template, runtime)
    if mode() == "official":
        return {}
    require_stand_in_versions(versions)
    args = {"BUILDER_IMAGE": ensure_unless_scratch(builder), "RUNTIME_IMAGE": ensure_unless_scratch(runtime_image)}
    others = TOOL_IMAGES.get(template, {}) | OPTION_BASES.get((template, runtime), {})
    return args | {name: ensure(image) for name, image in others.items()}


def lesson_variables(template, answers):
    """The `make lesson` / `make kit` variables naming every base of a workshop project ({} for official images)."""
    variables = dict(build_args_for_answers(template, answers))
    if mode() == "official":
        return variables
    variables.update({name: ensure(base) for name, base in LESSON_BASES[template].items()})
    return variables


def podman_build_args(docker_build_args):
    """The same build arguments for a podman build: the stand-ins they name are copied into podman's store."""
    return {name: copy_to_podman(reference) for name, reference in docker_build_args.items()}


def copy_to_podman(reference):
    """Copy an image from the Docker engine to podman unless podman has it already; return its reference."""
    exists = [podman_command(), "image", "exists", reference]
    if reference != SCRATCH and subprocess.run(exists, capture_output=True).returncode != 0:
        log(f"copying {reference} from the Docker engine to podman")
        run([podman_command(), "pull", "--quiet", f"docker-daemon:{reference}"])
    return reference


def build_args_for_answers(template, answers):
    """build_args() for a generated project, from its saved answers: its runtime and its *_version choices."""
    versions = {option: answers[option] for option in STAND_IN_VERSIONS if option in answers}
    return build_args(template, answers["runtime"], **versions)


def bases_for(template, runtime):
    bases = BASES.get((template, runtime)) or BASES.get((template, ANY_RUNTIME))
    if bases is None:
        known = ", ".join(f"{t} {r}" for t, r in BASES)
        raise ValueError(f"no base images for template {template!r} with runtime {runtime!r}; known: {known}")
    return bases


def require_stand_in_versions(versions):
    for option, wanted in versions.items():
        carried = STAND_IN_VERSIONS.get(option)
        if wanted != carried:
            raise ValueError(
                f"{option}={wanted!r} needs official base images: the local stand-ins carry only "
                f"Go {STAND_IN_VERSIONS['go_version']} and Python {STAND_IN_VERSIONS['python_version']}"
            )


def ensure_unless_scratch(name):
    return SCRATCH if name == SCRATCH else ensure(name)


# The label a stand-in carries: the fingerprint of what it was made from, so a changed recipe is made anew
FINGERPRINT_LABEL = "org.minimal-images.stand-in"


def fingerprint(name):
    """What defines the stand-in `name`: its recipe (the fields, the Dockerfile's bytes) and its dependencies'."""
    how = STAND_INS[name]
    digest = hashlib.sha256(repr(how).encode())
    if isinstance(how, Recipe):
        digest.update((RECIPES / how.dockerfile).read_bytes())
    for dependency in how.dependencies:
        digest.update(fingerprint(dependency).encode())
    return digest.hexdigest()[:16]


def ensure(name):
    """Make the stand-in `name` (and what it is built from) unless the engine has it, made from the same recipe
    (its fingerprint label); return its reference."""
    reference = stand_in_reference(name)
    how = STAND_INS[name]
    for dependency in how.dependencies:
        ensure(dependency)
    wanted = fingerprint(name)
    if image_label(reference, FINGERPRINT_LABEL) == wanted:
        return reference
    log(f"making {reference}" + (" (its recipe changed)" if image_exists(reference) else ""))
    started = time.monotonic()
    how.make(reference, f"{FINGERPRINT_LABEL}={wanted}")
    log(f"made {reference} in {time.monotonic() - started:.0f} s")
    return reference


def stand_in_reference(name):
    return f"{PREFIX}/{name}"


def image_label(reference, label):
    """An image's label, or None when the image or the label is missing."""
    done = subprocess.run([docker_command(), "image", "inspect", reference], capture_output=True, text=True)
    if done.returncode != 0:
        return None
    return (json.loads(done.stdout)[0]["Config"].get("Labels") or {}).get(label)


def image_exists(reference):
    return subprocess.run([docker_command(), "image", "inspect", reference], capture_output=True).returncode == 0


def image_size_mb(reference):
    size = run([docker_command(), "image", "inspect", "--format", "{{.Size}}", reference])
    return int(size) / 1e6  # megabytes as `docker images` counts them


def build_arg_words(args):
    return [word for key, value in args.items() for word in ("--build-arg", f"{key}={value}")]


def make_build_args(args):
    """The build arguments as one BUILD_ARGS value for a generated Makefile, quoted for its shell."""
    return " ".join(shlex.quote(word) for word in build_arg_words(args))


def drop_package_downloads(root):
    """debootstrap keeps the packages and indexes it downloaded (90 MB); recipes run apt-get update themselves."""
    for download in (*root.glob("var/cache/apt/archives/*.deb"), *root.glob("var/lib/apt/lists/*")):
        if download.is_dir():
            shutil.rmtree(download)
        else:
            download.unlink()


def install_host_ca_bundle(root):
    certs = root / "etc/ssl/certs"
    certs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HOST_CA_BUNDLE, certs / HOST_CA_BUNDLE.name)


def import_root(root, reference, label):
    """Turn a root folder into an image; tar keeps owners, modes and links as the root has them."""
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    changes = ["--change", f"ENV PATH={IMPORTED_PATH}", "--change", f"LABEL {label}"]
    try:
        run([docker_command(), "import", *changes, "-", reference], stdin=tar.stdout)
    finally:
        tar.stdout.close()
        tar.wait()
    if tar.returncode != 0:
        raise StandInError(f"tar of {root} failed ({tar.returncode})")


def go_root():
    require_program("go", "install Go from https://go.dev/dl/ and put it on PATH")
    return Path(run(["go", "env", "GOROOT"]))


def go_version_for(reference, goroot):
    """The toolchain's full version (1.26.8), checked against the stand-in's tag (1.26) so the tag does not lie."""
    version = (goroot / "VERSION").read_text(encoding="utf-8").split()[0].removeprefix("go")
    tag = reference.rpartition(":")[2]
    if not version.startswith(f"{tag}."):
        raise StandInError(f"{reference} needs a Go {tag}.x toolchain; {goroot} holds Go {version}")
    return version


def require_program(program, how_to_install):
    if shutil.which(program) is None:
        raise StandInError(f"{program} is missing: {how_to_install}")


def run(command, **options):
    """Run a command quietly; on failure raise with its output, which says what went wrong."""
    done = subprocess.run(command, capture_output=True, text=True, **options)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise StandInError(f"{' '.join(command)} failed ({done.returncode}):\n{output}")
    return done.stdout.strip()


def log(message):
    print(f"base_images: {message}", file=sys.stderr, flush=True)


def ensure_all():
    for name in STAND_INS:
        reference = ensure(name)
        print(f"{reference}\t{image_size_mb(reference):.1f} MB")


def print_build_args(template, runtime):
    print(" ".join(build_arg_words(build_args(template, runtime))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ensure-all", help="make every missing stand-in; print each one's name and size")
    words = commands.add_parser("build-args", help="print the --build-arg words for one template and runtime")
    words.add_argument("template")
    words.add_argument("runtime")
    arguments = parser.parse_args()
    try:
        if arguments.command == "ensure-all":
            ensure_all()
        else:
            print_build_args(arguments.template, arguments.runtime)
    except (StandInError, ValueError) as error:
        sys.exit(f"base_images: {error}")


if __name__ == "__main__":
    main()
