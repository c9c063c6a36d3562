"""Dependencies with compiled code work on every Python runtime, or the build or the smoke test says why.

A generated project grows as its user would grow it: `uv add` of three widely used packages whose wheels carry
a C, a C++ and a Rust extension module, a route that uses all three, `make image`. Each runtime's image must
answer that route, and `make smoke` (check_imports.py, fed to the image's own interpreter) must import every
module of every distribution the lock installs. On scratch, the C++ one needs libstdc++ and libgcc_s, which the
interpreter does not: the build copies them (scratch-rootfs.sh --libraries), with their package metadata, and
an image without them fails the smoke test, naming the module and the library.

A dependency with no wheel (a source distribution of the suite's own, with a C extension, served from a local
index on the engine's bridge) stops the default build, named by uv, with our line saying how to compile it;
with BUILD_PACKAGES the build stage compiles it and the image answers from it.
"""

import functools
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import threading

import base_images
import containers
import pytest

pytestmark = pytest.mark.image

TEMPLATE = "python-flask"
# Pinned: versions whose cp313 manylinux wheels carry the extension modules named
COMPILED = {"ujson": "6.1.0", "orjson": "3.13.0", "pyyaml": "6.0.4"}  # C++, Rust, C
# NEEDED entries of the extension modules in these wheels that the scratch interpreter itself does not load
CXX_LIBRARIES = ("libstdc++.so.6", "libgcc_s.so.1")
ROUTE = '''

@app.get("/compiled")
def compiled():
    """Each compiled extension's own answer: ujson (C++), orjson (Rust), PyYAML's libyaml binding (C)."""
    import orjson
    import ujson
    import yaml

    return {
        "c++": ujson.dumps([1, 2]),
        "rust": orjson.dumps({"a": 1}).decode(),
        "c": yaml.dump([3], Dumper=yaml.CSafeDumper).strip(),
    }
'''
EXPECTED = {"c++": "[1,2]", "rust": '{"a":1}', "c": "- 3"}
BRIDGE_GATEWAY = "172.17.0.1"  # the host as containers on Docker's default bridge (and its builds) reach it


def uv(project, *args):
    """Run the suite's uv (the template's release) in a project; return its completed process."""
    uv_binary = shutil.which("uv")
    return subprocess.run([uv_binary, *args], cwd=project, capture_output=True, text=True, check=True)


def make(project, target, image):
    """Run a generated Makefile's target against an image; return the completed process (not checked)."""
    command = ["make", "--no-print-directory", target, f"IMAGE={image}", f"DOCKER={base_images.docker_command()}"]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)


def grow(project, *requirements):
    """Add dependencies the documented way (uv add, which writes pyproject.toml and uv.lock) and the route."""
    uv(project, "add", "--no-sync", *requirements)
    with (project / "app.py").open("a", encoding="utf-8") as app:
        app.write(ROUTE)


def answer_of(start, image, route):
    """(HTTP status, body) of a route of the image, run read-only; a JSON body parsed."""
    _, port = start(image, 8000, "--read-only")
    status, body, _ = containers.wait_for_http(f"http://127.0.0.1:{port}{route}", timeout=60)
    return status, json.loads(body) if status == 200 else body


@pytest.fixture(scope="module", params=["distroless", "scratch", "slim"])
def grown(request, images, tmp_path_factory):
    """(runtime, project, image tag) of a project grown by the three compiled dependencies, built once."""
    runtime = request.param
    project = shutil.copytree(images.project(TEMPLATE, runtime=runtime), tmp_path_factory.mktemp(runtime) / "p")
    grow(project, *(f"{name}=={version}" for name, version in COMPILED.items()))
    args = images.build_args(TEMPLATE, runtime=runtime)
    build = containers.build(project, images.tag(f"py-compiled-{runtime}:dev"), args)
    return runtime, project, build


def test_the_compiled_dependencies_answer_from_the_running_image(grown, start):
    runtime, _, build = grown
    assert answer_of(start, build.tag, "/compiled") == (200, EXPECTED), runtime
    assert containers.inspect(build.tag)["Config"]["User"] == "65532:65532"


def test_make_smoke_imports_every_module_the_lock_installs(grown):
    _, project, build = grown
    done = make(project, "smoke", build.tag)
    assert done.returncode == 0, done.stderr
    counted = re.search(r"check_imports.py: (\d+) modules of (\d+) distributions import", done.stdout)
    assert counted, done.stdout
    exported = uv(project, "export", "--frozen", "--no-dev", "--no-hashes", "--no-header", "--no-annotate").stdout
    installed = [line for line in exported.splitlines() if line.strip() and not line.startswith(("#", " "))]
    # One distribution per locked package; at least one module each (PyYAML has two: yaml and _yaml)
    assert int(counted[2]) == len(installed), exported
    assert int(counted[1]) >= len(installed)


def scratch_files(image, pattern):
    """The paths in an image that match a glob, listed by the image's own Python."""
    python = containers.entrypoint_python(image)
    code = f"import glob, json; print(json.dumps(sorted(glob.glob({pattern!r}, recursive=True))))"
    return json.loads(containers.docker("run", "--rm", "--entrypoint", python, image, "-c", code).stdout)


@pytest.fixture(scope="module")
def grown_scratch(grown):
    if grown[0] != "scratch":
        pytest.skip("scratch alone copies libraries of its own")
    return grown


def test_scratch_copies_the_libraries_the_extensions_load_with_their_metadata(grown_scratch, images):
    _, _, build = grown_scratch
    for library in CXX_LIBRARIES:
        assert scratch_files(build.tag, f"/usr/lib/**/{library}"), library
    python = containers.entrypoint_python(build.tag)
    read = "import sys; print(open(sys.argv[1]).read())"
    status = containers.docker(
        "run", "--rm", "--entrypoint", python, build.tag, "-c", read, "/var/lib/dpkg/status.d/libstdc++6"
    ).stdout
    fields = dict(line.split(": ", 1) for line in status.splitlines() if ": " in line and not line.startswith(" "))
    assert fields["Package"] == "libstdc++6"
    # Nothing ships that nothing loads: the hello-world image has neither library
    hello = images.get(TEMPLATE, runtime="scratch").tag
    assert [scratch_files(hello, f"/usr/lib/**/{library}") for library in CXX_LIBRARIES] == [[], []]


def without_files(image, names, tag):
    """The image re-imported without the files whose base name is in `names` (docker export, filter, import)."""
    container = containers.docker("create", image).stdout.strip()
    try:
        exported = containers.docker("export", container, binary=True).stdout
    finally:
        containers.remove(container)
    kept = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(exported)) as source, tarfile.open(fileobj=kept, mode="w") as target:
        for member in source.getmembers():
            if member.name.rsplit("/", 1)[-1] not in names:
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
    entrypoint = json.dumps(containers.inspect(image)["Config"]["Entrypoint"])
    importing = subprocess.run(
        [base_images.docker_command(), "import", "--change", f"ENTRYPOINT {entrypoint}", "-", tag],
        input=kept.getvalue(),
        capture_output=True,
        check=True,
    )
    assert importing.returncode == 0
    return tag


def test_a_scratch_image_without_a_copied_library_fails_the_smoke_test(grown_scratch, images):
    _, project, build = grown_scratch
    broken = without_files(build.tag, {"libstdc++.so.6"}, images.tag("py-compiled-no-libstdcxx:dev"))
    done = make(project, "smoke", broken)
    assert done.returncode != 0
    failed = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(failed) == 1 and failed[0].startswith("error: ujson (from ujson 6.1.0) does not import"), done.stderr
    assert "libstdc++.so.6" in failed[0]


# --- A dependency without a wheel -------------------------------------------------------------------------------

C_EXTENSION = r"""#include <Python.h>

static PyObject *answer(PyObject *self, PyObject *unused) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "suite_cext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_suite_cext(void) { return PyModule_Create(&module); }
"""
SDIST_ROUTE = """

@app.get("/answer")
def answer():
    import suite_cext

    return {"answer": suite_cext.answer()}
"""


@pytest.fixture(scope="module")
def sdist_index(tmp_path_factory):
    """A source distribution with a C extension, served over HTTP where the host and the engine's builds reach it."""
    source = tmp_path_factory.mktemp("suite-cext")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "suite-cext"\nversion = "0.1.0"\n',
        encoding="utf-8",
    )
    (source / "setup.py").write_text(
        'from setuptools import Extension, setup\n\nsetup(ext_modules=[Extension("suite_cext", ["suite_cext.c"])])\n',
        encoding="utf-8",
    )
    (source / "suite_cext.c").write_text(C_EXTENSION, encoding="utf-8")
    served = tmp_path_factory.mktemp("index")
    uv(source, "build", "--sdist", "-o", str(served))
    (sdist,) = served.glob("*.tar.gz")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer((BRIDGE_GATEWAY, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{BRIDGE_GATEWAY}:{server.server_address[1]}/{sdist.name}"
    server.shutdown()


@pytest.fixture(scope="module")
def sdist_project(images, sdist_index, tmp_path_factory):
    project = shutil.copytree(images.project(TEMPLATE, runtime="scratch"), tmp_path_factory.mktemp("sdist") / "p")
    uv(project, "add", "--no-sync", f"suite-cext @ {sdist_index}")
    with (project / "app.py").open("a", encoding="utf-8") as app:
        app.write(SDIST_ROUTE)
    return project


def test_a_dependency_without_a_wheel_stops_the_default_build_naming_it(sdist_project, images):
    args = images.build_args(TEMPLATE, runtime="scratch")
    words = [word for key, value in args.items() for word in ("--build-arg", f"{key}={value}")]
    done = subprocess.run(
        [base_images.docker_command(), "build", "--progress=plain", *words, "-t", images.tag("py-sdist-refused"), "."],
        cwd=sdist_project,
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        timeout=600,
    )
    assert done.returncode != 0
    refused = r"Distribution `suite-cext==0\.1\.0 @ .*` can't be installed because it is marked as `--no-build`"
    assert re.search(refused, done.stderr), done.stderr[-3000:]
    ours = [line for line in done.stderr.splitlines() if "error: a dependency named above has no wheel" in line]
    assert ours and 'BUILD_PACKAGES="gcc libc6-dev python3-dev"' in ours[0], done.stderr[-3000:]


def test_build_packages_compile_it_in_the_build_stage_and_the_image_answers(sdist_project, images, start):
    args = {**images.build_args(TEMPLATE, runtime="scratch"), "BUILD_PACKAGES": "gcc libc6-dev python3-dev"}
    build = containers.build(sdist_project, images.tag("py-sdist-compiled:dev"), args)
    assert answer_of(start, build.tag, "/answer") == (200, {"answer": 42})
    # The compiler stays in the build stage
    assert scratch_files(build.tag, "/usr/bin/gcc*") == []
    assert make(sdist_project, "smoke", build.tag).returncode == 0
