"""What a scanner can see in each image: `make sbom` (syft) must list the service's own dependencies at their
locked versions and, in the scratch Python image, the Debian packages its files came from."""

import hashlib
import io
import json
import subprocess
import tarfile

import containers
import pytest
from conftest import installed_tool, locked_packages
from test_images import CASES

pytestmark = pytest.mark.image

GIN = "github.com/gin-gonic/gin"
PYTHON_PACKAGES = ("flask", "gunicorn")
STATUS_D = "var/lib/dpkg/status.d/"
# The scratch image's dpkg metadata (about 50 kB measured) against the "well under 1 MB"
METADATA_BUDGET_BYTES = 100_000
# Files whose Debian packages a scanner must know: the interpreter, the core of its standard library, OpenSSL
PACKAGED_FILES = ("/usr/bin/python3.13", "/usr/lib/python3.13/os.py", "*/libssl.so.3")
# The system data the standard library reads (tests/test_scratch_data.py), by the package it comes from
PACKAGED_DATA = {
    "tzdata": "/usr/share/zoneinfo/Europe/Paris",
    "media-types": "/etc/mime.types",
    "netbase": "/etc/services",
}
SCRATCH_PYTHON = next(case for case in CASES if (case.template, case.options["runtime"]) == ("python-flask", "scratch"))


@pytest.fixture(scope="module", params=CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture(scope="module")
def sbom_of(images, tmp_path_factory):
    """sbom_of(case) -> the SPDX document `make sbom` writes for the case's image, parsed (made once per case)."""
    made = {}

    def make_sbom(case):
        if str(case) not in made:
            output = tmp_path_factory.mktemp("sbom") / "sbom.spdx.json"
            image = images.get(case.template, **case.options).tag
            settings = {"IMAGE": image, "SBOM": output, "SYFT": installed_tool("syft")}
            settings["DOCKER"] = containers.base_images.docker_command()
            done = subprocess.run(
                ["make", "sbom", *(f"{name}={value}" for name, value in settings.items())],
                cwd=images.project(case.template, **case.options),
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            made[str(case)] = json.loads(output.read_text(encoding="utf-8"))
        return made[str(case)]

    return make_sbom


@pytest.fixture(scope="module")
def sbom(sbom_of, case):
    return sbom_of(case)


def packages_of_type(sbom, purl_type):
    """{name: version} of the SBOM's packages whose package URL has this type (golang, pypi, deb).
    syft gives a Debian package a URL only when it knows the distribution: what a scanner needs too."""
    found = {}
    for package in sbom["packages"]:
        for ref in package.get("externalRefs", []):
            if ref["referenceType"] == "purl" and ref["referenceLocator"].startswith(f"pkg:{purl_type}/"):
                found[package["name"].lower()] = package["versionInfo"]
    return found


def locked_go_module(project, module):
    """The version go.sum records for a module."""
    for line in (project / "go.sum").read_text(encoding="utf-8").splitlines():
        name, version, _ = line.split()
        if name == module and not version.endswith("/go.mod"):
            return version
    raise AssertionError(f"go.sum has no {module}")


def locked_python_package(project, package):
    """The version uv.lock pins a package to."""
    locked = locked_packages(project / "uv.lock")
    assert package in locked, f"uv.lock pins no {package}"
    return locked[package][0]


def test_sbom_is_spdx_json(sbom):
    assert sbom["spdxVersion"].startswith("SPDX-")
    assert sbom["packages"]


def test_sbom_lists_the_locked_dependencies(sbom, images, case):
    project = images.project(case.template, **case.options)
    if case.template == "go-gin":
        assert packages_of_type(sbom, "golang")[GIN] == locked_go_module(project, GIN)
    else:
        found = packages_of_type(sbom, "pypi")
        assert {name: found.get(name) for name in PYTHON_PACKAGES} == {
            name: locked_python_package(project, name) for name in PYTHON_PACKAGES
        }


def build_stage(images):
    return images.get(SCRATCH_PYTHON.template, target="build", **SCRATCH_PYTHON.options).tag


def owners(images, paths):
    """The Debian packages the build stage's dpkg database says own these files (globs allowed)."""
    done = containers.docker("run", "--rm", build_stage(images), "dpkg-query", "--search", *paths, check=False)
    owned = set()
    for line in done.stdout.splitlines():
        names, _, _ = line.partition(": ")
        owned |= {name.strip().partition(":")[0] for name in names.split(",")}
    return owned


def versions(images, packages):
    query = ["dpkg-query", "--show", "--showformat", "${Package} ${Version}\\n", *sorted(packages)]
    listing = containers.docker("run", "--rm", build_stage(images), *query).stdout
    return dict(line.split() for line in listing.splitlines())


@pytest.fixture(scope="module")
def scratch_files(images):
    """The scratch Python image's regular files: {path without leading slash: bytes}."""
    image = images.get(SCRATCH_PYTHON.template, **SCRATCH_PYTHON.options).tag
    container = containers.docker("create", image).stdout.strip()
    try:
        exported = containers.docker("export", container, binary=True).stdout
    finally:
        containers.remove(container)
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        return {member.name.lstrip("/"): tar.extractfile(member).read() for member in tar if member.isfile()}


def test_sbom_of_the_scratch_python_image_lists_the_interpreter_and_openssl_packages_at_their_versions(images, sbom_of):
    sbom = sbom_of(SCRATCH_PYTHON)
    wanted = owners(images, PACKAGED_FILES)
    assert any(name.startswith("python3") for name in wanted) and any(name.startswith("libssl") for name in wanted)
    found = packages_of_type(sbom, "deb")
    assert {name: found.get(name) for name in wanted} == versions(images, wanted)


def test_sbom_of_the_scratch_python_image_lists_the_system_data_packages_at_their_versions(images, sbom_of):
    found = packages_of_type(sbom_of(SCRATCH_PYTHON), "deb")
    assert owners(images, PACKAGED_DATA.values()) == set(PACKAGED_DATA)
    assert {name: found.get(name) for name in PACKAGED_DATA} == versions(images, PACKAGED_DATA)


def test_scratch_python_image_has_metadata_for_every_debian_package_it_ships_files_of(images, scratch_files):
    shipped = [f"/{path}" for path in scratch_files if not path.startswith(STATUS_D)]
    described = {path.removeprefix(STATUS_D) for path in scratch_files if path.startswith(STATUS_D)}
    assert {name for name in described if not name.endswith(".md5sums")} == owners(images, shipped)


def test_scratch_python_md5sums_list_the_shipped_files_with_their_checksums(scratch_files):
    listed = {}
    for path, content in scratch_files.items():
        if path.startswith(STATUS_D) and path.endswith(".md5sums"):
            listed |= {name: digest for digest, name in (line.split("  ", 1) for line in content.decode().splitlines())}
    assert listed
    assert {name: hashlib.md5(scratch_files.get(name, b"missing")).hexdigest() for name in listed} == listed


def test_scratch_python_metadata_costs_well_under_1_mb(scratch_files):
    size = sum(len(content) for path, content in scratch_files.items() if path.startswith(STATUS_D))
    assert 0 < size <= METADATA_BUDGET_BYTES
