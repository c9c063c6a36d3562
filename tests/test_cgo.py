"""go-gin and cgo: a package that calls C is found by the build, never compiled into a stub that fails later.

A generated project grows a package of the suite's own that calls a C function (`import "C"`, the C code in
its preamble) and a route that answers with that function's result. The default build (CGO=0) must stop,
naming the package and cgo; `make image CGO=1` on distroless compiles with cgo onto distroless base (the C
library) and the container answers the route; CGO=1 on scratch, which has no C library, is refused with that
reason before anything is compiled.
"""

import re
import shutil
import subprocess

import base_images
import containers
import pytest
from minimal_images.post_gen import load_answers

pytestmark = pytest.mark.image

TEMPLATE = "go-gin"
PACKAGE = "internal/cfunc"
CFUNC = """// Package cfunc calls C: the suite's own cgo package.
package cfunc

/*
static int answer(void) { return 42; }
*/
import "C"

// Answer returns what the C function returns.
func Answer() int { return int(C.answer()) }
"""
ROUTE = """	router.GET("/cgo", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"answer": cfunc.Answer()})
	})
	return router, nil
"""


def module_path(project):
    return re.search(r"^module (\S+)$", (project / "go.mod").read_text(encoding="utf-8"), flags=re.MULTILINE)[1]


def grow(project):
    """Add the cgo package and a route that calls it, as a user would (gofmt-clean)."""
    (project / PACKAGE).mkdir(parents=True)
    (project / PACKAGE / "cfunc.go").write_text(CFUNC, encoding="utf-8")
    main = (project / "main.go").read_text(encoding="utf-8")
    main = main.replace("import (\n", f'import (\n\t"{module_path(project)}/{PACKAGE}"\n', 1)
    assert main.count("\treturn router, nil\n") == 1
    main = main.replace("\treturn router, nil\n", ROUTE)
    (project / "main.go").write_text(main, encoding="utf-8")
    subprocess.run(["gofmt", "-w", "main.go"], cwd=project, check=True)


@pytest.fixture(scope="module", params=["distroless", "scratch"])
def grown(request, images, tmp_path_factory):
    """(runtime, project) of a project grown by the cgo package."""
    runtime = request.param
    project = shutil.copytree(images.project(TEMPLATE, runtime=runtime), tmp_path_factory.mktemp(runtime) / "p")
    grow(project)
    return runtime, project


def make_image(project, images, runtime, tag, *variables):
    """`make image` with the base images' build arguments; the completed process (not checked)."""
    build_args = base_images.make_build_args(images.build_args(TEMPLATE, runtime=runtime))
    command = ["make", "--no-print-directory", "image", f"IMAGE={tag}", f"DOCKER={base_images.docker_command()}"]
    command += [f"BUILD_ARGS={build_args}", *variables]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)


def errors(output):
    """Our `error: ` lines in a build's output, without BuildKit's step prefix."""
    return [line[line.index("error: ") :] for line in output.splitlines() if re.search(r"(^|\s)error: ", line)]


def test_the_default_build_refuses_a_cgo_package_by_name(grown, images):
    runtime, project = grown
    done = make_image(project, images, runtime, images.tag(f"go-cgo-default-{runtime}:dev"))
    assert done.returncode != 0
    ours = [line for line in errors(done.stderr) if " calls C (cgo)" in line]
    assert len(ours) == 1, done.stderr
    assert ours[0].startswith(f"error: {module_path(project)}/{PACKAGE} calls C (cgo), which this build leaves out")
    way_out = "make image CGO=1" if runtime == "distroless" else "runtime=distroless"
    assert "pure-Go alternative" in ours[0] and way_out in ours[0]


def test_the_cgo_build_on_distroless_answers_from_the_c_function(grown, images, start):
    runtime, project = grown
    if runtime != "distroless":
        pytest.skip("scratch refuses cgo (the next test)")
    tag = images.tag("go-cgo:dev")
    done = make_image(project, images, runtime, tag, "CGO=1")
    assert done.returncode == 0, done.stderr
    _, host_port = start(tag, int(load_answers(project)["port"]), "--read-only")
    status, body, _ = containers.wait_for_http(f"http://127.0.0.1:{host_port}/cgo", timeout=60)
    assert (status, body.strip()) == (200, '{"answer":42}')
    assert containers.inspect(tag)["Config"]["User"] == "65532:65532"
    # The runtime is distroless base, which has the C library the binary loads; static has none
    cgo_base = images.build_args(TEMPLATE, runtime=runtime).get("CGO_RUNTIME_IMAGE")
    if cgo_base:
        assert containers.layers(tag)[: len(containers.layers(cgo_base))] == containers.layers(cgo_base)


def test_the_cgo_build_on_scratch_is_refused_with_the_reason(grown, images):
    runtime, project = grown
    if runtime != "scratch":
        pytest.skip("distroless builds with cgo (the test above)")
    done = make_image(project, images, runtime, images.tag("go-cgo-scratch:dev"), "CGO=1")
    assert done.returncode != 0
    assert errors(done.stderr) == [
        "error: CGO=1: this project's runtime is scratch, which has no C library for a cgo binary to load; cgo "
        "needs the distroless runtime (generate the project with runtime=distroless)"
    ], done.stderr


def test_make_refuses_a_cgo_value_other_than_0_or_1(grown):
    _, project = grown
    done = subprocess.run(["make", "image", "CGO=yes"], cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert 'CGO is "yes": 0 (pure Go) or 1 (cgo)' in done.stderr
