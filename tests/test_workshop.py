"""Workshop mode: the lesson (a ladder of Dockerfiles), `make lesson`'s table, the handout and the offline kit."""

import itertools
import re
import subprocess

import base_images
import containers
import pytest
from conftest import Images
from minimal_images.post_gen import load_answers

TEMPLATES = ["go-gin", "python-flask"]
# The lesson/ steps each runtime gets, in order: step 1 is Dockerfile.naive, and the step after these is Dockerfile
LADDERS = {
    ("go-gin", "scratch"): ["2-dockerignore", "3-multi-stage", "4-static", "5-strip", "6-nomsgpack", "7-scratch"],
    ("go-gin", "distroless"): ["2-dockerignore", "3-multi-stage", "4-static", "5-strip", "6-nomsgpack", "7-distroless"],
    ("python-flask", "distroless"): ["2-slim", "3-dependencies-first", "4-multi-stage", "5-no-pip", "6-distroless"],
    ("python-flask", "scratch"): [
        "2-slim",
        "3-dependencies-first",
        "4-multi-stage",
        "5-no-pip",
        "6-distroless",
        "7-scratch",
    ],
    ("python-flask", "slim"): ["2-slim", "3-dependencies-first", "4-multi-stage", "5-no-pip"],
}
# Go's optional last step, outside the numbered ladder
UPX_DOCKERFILE = "lesson/upx.Dockerfile"
ROUTES = {"go-gin": "/ping", "python-flask": "/"}
STEP_MARKER = re.compile(r"^# Lesson step: (\S.*)$", re.MULTILINE)
ARG_DEFAULT = re.compile(r"^ARG (\w+)=(\S+)$", re.MULTILINE)


def ladder(template, runtime):
    """The Dockerfiles of the lesson, in order, as paths inside the project."""
    steps = [f"lesson/{step}.Dockerfile" for step in LADDERS[(template, runtime)]]
    return ["Dockerfile.naive", *steps, "Dockerfile"]


def every_step(template, runtime):
    """The ladder, then the optional steps after it (Go's upx)."""
    return ladder(template, runtime) + ([UPX_DOCKERFILE] if template == "go-gin" else [])


def make(project, *args, timeout=120, check=True):
    done = subprocess.run(["make", *args], cwd=project, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def make_variable(project, name, *args):
    """A variable's value as the project's Makefile computes it."""
    printed = make(
        project, "--no-print-directory", "-s", f"--eval=print-variable: ; @echo $({name})", *args, "print-variable"
    )
    return printed.stdout.strip()


def table_rows(text, header):
    """The rows of the markdown table whose header row starts with `header`, as lists of cells."""
    lines = text.splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


@pytest.mark.parametrize("template", TEMPLATES)
def test_workshop_off_generates_none_of_the_lesson(bake, template):
    project = bake(template).project_path
    for path in ("lesson", "WORKSHOP.md", "Dockerfile.naive", "Dockerfile.naive.dockerignore"):
        assert not (project / path).exists(), path
    for target in ("lesson", "kit", "load-kit"):
        assert "No rule to make target" in make(project, "-n", target, check=False).stderr
    assert "Lesson step" not in (project / "Dockerfile").read_text()


@pytest.mark.parametrize(("template", "runtime"), sorted(LADDERS))
def test_workshop_on_gives_the_runtime_s_ladder_one_dockerfile_per_step(bake, template, runtime):
    project = bake(template, runtime=runtime, workshop="yes").project_path
    found = sorted(path.relative_to(project).as_posix() for path in project.glob("lesson/*.Dockerfile"))
    assert found == sorted(step for step in every_step(template, runtime) if step.startswith("lesson/"))


@pytest.mark.parametrize(("template", "runtime"), sorted(LADDERS))
def test_each_step_says_in_one_line_what_it_changes(bake, template, runtime):
    project = bake(template, runtime=runtime, workshop="yes").project_path
    files = every_step(template, runtime)
    changes = [STEP_MARKER.findall((project / file).read_text()) for file in files]
    assert all(len(found) == 1 for found in changes), dict(zip(files, changes, strict=True))
    assert len({found[0] for found in changes}) == len(files)  # no two steps claim the same change


@pytest.mark.parametrize(("template", "runtime"), sorted(LADDERS))
def test_the_handout_numbers_the_steps_as_make_lesson_does(bake, template, runtime):
    project = bake(template, runtime=runtime, workshop="yes").project_path
    headings = re.findall(r"^### Step (\d+): .*\(`([^`]+)`\)$", (project / "WORKSHOP.md").read_text(), re.MULTILINE)
    assert [(int(number), file) for number, file in headings] == list(enumerate(ladder(template, runtime), start=1))


@pytest.mark.parametrize(("template", "runtime"), sorted(LADDERS))
def test_every_make_command_in_the_handout_is_a_real_target(bake, template, runtime):
    project = bake(template, runtime=runtime, workshop="yes").project_path
    named = set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", (project / "WORKSHOP.md").read_text()))
    assert {"lesson", "kit", "load-kit"} <= named
    for target in sorted(named):
        done = make(project, "-n", target, "DOCKER=true", check=False)
        assert done.returncode == 0, f"WORKSHOP.md names `make {target}`: {done.stderr}"


@pytest.mark.parametrize(("template", "runtime"), sorted(LADDERS))
def test_the_kit_holds_exactly_the_bases_the_dockerfiles_start_from(bake, template, runtime):
    project = bake(template, runtime=runtime, workshop="yes").project_path
    files = every_step(template, runtime)
    bases = set()
    for file in files:
        arguments = dict(ARG_DEFAULT.findall((project / file).read_text()))
        versions = {f"${{{name}}}": value for name, value in arguments.items() if name.endswith("_VERSION")}
        for name, default in arguments.items():
            # FINAL_IMAGE is the project's own image; CGO_RUNTIME_IMAGE serves the runtime-cgo target alone,
            # which no step builds
            if name.endswith("_IMAGE") and name not in ("FINAL_IMAGE", "CGO_RUNTIME_IMAGE"):
                for placeholder, version in versions.items():
                    default = default.replace(placeholder, version)
                bases.add(default)
    assert set(make_variable(project, "KIT_IMAGES").split()) == bases - {"scratch"}


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("step", ["abc", "0", "99", "-1"])
def test_make_lesson_refuses_a_step_that_is_not_in_the_ladder_in_one_line(bake, template, step):
    project = bake(template, workshop="yes").project_path
    steps = len(every_step(template, load_answers(project)["runtime"]))
    code = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    done = make(project, "lesson", f"STEP={step}", "DOCKER=false", check=False)
    assert done.returncode != 0
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("lesson:")]
    assert f"STEP is '{step}'" in line and f"from 1 to {steps}" in line
    assert not [line for line in done.stdout.splitlines() if line.startswith("|")]  # no table was begun
    assert {path: path.read_bytes() for path in project.rglob("*") if path.is_file()} == code


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_final_dockerfile_gets_fuller_comments_in_workshop_mode(bake, template):
    def comment_lines(project):
        return sum(line.lstrip().startswith("#") for line in (project / "Dockerfile").read_text().splitlines())

    assert comment_lines(bake(template, workshop="yes").project_path) > comment_lines(bake(template).project_path)


# --- Image tests: the lesson built on a real engine, from the stand-in bases where no registry answers -----------


def lesson_variables(template, project):
    """The make variables naming the project's bases, and its own tags, private to this test session."""
    answers = load_answers(project)
    variables = base_images.lesson_variables(template, answers)
    name = f"{project.name}-{answers['runtime']}"  # two projects of one template share a folder name
    variables |= {"IMAGE": Images.tag(f"{name}:dev"), "LESSON_IMAGE": Images.tag(f"{name}-lesson")}
    return [f"{key}={value}" for key, value in variables.items()] + [f"DOCKER={base_images.docker_command()}"]


class Lesson:
    """One `make lesson` run: its table, as rows, and the images it tagged."""

    def __init__(self, template, project, variables, output):
        self.template, self.project, self.output = template, project, output
        self.variables = dict(word.split("=", 1) for word in variables)
        self.rows = table_rows(output, "Step")

    def tag(self, row):
        if row[1] == "Dockerfile":
            return self.variables["IMAGE"]
        return f"{self.variables['LESSON_IMAGE']}:{row[0]}"


# The ladder run in full: Go's scratch ladder with upx, and Python's scratch ladder, which holds every Python step
FULL_LADDERS = [("go-gin", "scratch"), ("python-flask", "scratch")]


@pytest.fixture(scope="module")
def lesson_runs(images):
    """lesson_runs(template) -> that template's full ladder, built by `make lesson` once per module."""
    runs = {}

    def run(template):
        if template not in runs:
            runtime = dict(FULL_LADDERS)[template]
            project = images.project(template, runtime=runtime, workshop="yes")
            upx = ["UPX=1"] if template == "go-gin" else []
            variables = lesson_variables(template, project)
            done = make(project, "lesson", *variables, *upx, timeout=3000)
            runs[template] = Lesson(template, project, variables, done.stdout)
        return runs[template]

    return run


@pytest.fixture(scope="module", params=[template for template, _ in FULL_LADDERS])
def lesson(request, lesson_runs):
    return lesson_runs(request.param)


@pytest.mark.image
def test_make_lesson_prints_a_row_per_step_in_order(lesson):
    runtime = load_answers(lesson.project)["runtime"]
    expected = every_step(lesson.template, runtime)
    assert [(row[0], row[1]) for row in lesson.rows] == [(str(n), file) for n, file in enumerate(expected, start=1)]
    for row in lesson.rows:
        assert row[2], f"step {row[0]} says nothing of what changed"
        assert float(row[5]) > 0 and float(row[6]) >= 0, row  # the build and rebuild times


@pytest.mark.image
def test_sizes_never_grow_from_the_single_stage_step_to_the_final_dockerfile(lesson):
    final = next(number for number, row in enumerate(lesson.rows) if row[1] == "Dockerfile")
    sizes = [float(row[3]) for row in lesson.rows[: final + 1]]
    assert sizes == sorted(sizes, reverse=True), sizes
    assert sizes[-1] < sizes[0] / 10  # the ladder as a whole: a tenth of the single-stage image or less
    changes = [float(row[4]) for row in lesson.rows[1 : final + 1]]
    assert changes == pytest.approx([after - before for before, after in itertools.pairwise(sizes)], abs=0.11)


@pytest.mark.image
def test_the_final_row_is_the_size_of_make_image(lesson):
    final = next(row for row in lesson.rows if row[1] == "Dockerfile")
    other_tag = Images.tag(f"{lesson.project.name}:make-image")
    build_args = base_images.build_args_for_answers(lesson.template, load_answers(lesson.project))
    words = base_images.make_build_args(build_args)
    make(
        lesson.project,
        "image",
        f"IMAGE={other_tag}",
        f"DOCKER={base_images.docker_command()}",
        f"BUILD_ARGS={words}",
        timeout=1200,
    )
    size = int(containers.docker("image", "inspect", "--format", "{{.Size}}", other_tag).stdout)
    assert final[3] == f"{size / 1e6:.1f}"


@pytest.mark.image
def test_the_first_step_has_a_shell_and_root_and_the_final_one_neither(lesson):
    first, final = lesson.rows[0], next(row for row in lesson.rows if row[1] == "Dockerfile")
    assert (first[7], first[8]) == ("yes", "yes")
    assert (final[7], final[8]) == ("no", "no")
    user = containers.docker("image", "inspect", "--format", "{{.Config.User}}", lesson.tag(final)).stdout.strip()
    assert user == "65532:65532"


@pytest.mark.image
def test_every_step_s_image_serves_the_template_s_route(lesson, start):
    port = load_answers(lesson.project)["port"]
    for row in lesson.rows:
        _, host_port = start(lesson.tag(row), port)
        status, _, _ = containers.wait_for_http(f"http://127.0.0.1:{host_port}{ROUTES[lesson.template]}")
        assert status == 200, row


@pytest.mark.image
def test_the_upx_step_is_smaller_but_downloads_little_less_and_costs_memory_and_time(lesson_runs):
    lesson = lesson_runs("go-gin")
    final, packed = (
        dict(zip(["name", "size", "download", "memory", "start", "probe"], row, strict=True))
        for row in table_rows(lesson.output, "Image")
    )
    assert final["name"] == "Dockerfile"
    assert float(packed["size"]) < float(final["size"]) / 2
    # the registry's gzip already takes most of what upx takes: the download shrinks by a smaller share
    assert float(packed["download"]) / float(final["download"]) > float(packed["size"]) / float(final["size"])
    assert float(packed["memory"]) > float(final["memory"])
    assert float(packed["probe"]) > float(final["probe"])


@pytest.mark.image
def test_step_7_of_a_go_distroless_project_builds_alone_and_serves(images, start):
    project = images.project("go-gin", runtime="distroless", workshop="yes")
    variables = lesson_variables("go-gin", project)
    done = make(project, "lesson", "STEP=7", *variables, timeout=1200)
    (row,) = table_rows(done.stdout, "Step")
    assert row[:2] == ["7", "lesson/7-distroless.Dockerfile"]
    assert (row[7], row[8]) == ("no", "no")
    assert row[4] == ""  # step 6 was not built in this project: no change to report
    _, host_port = start(Lesson("go-gin", project, variables, done.stdout).tag(row), load_answers(project)["port"])
    status, _, _ = containers.wait_for_http(f"http://127.0.0.1:{host_port}/ping")
    assert status == 200


@pytest.mark.image
def test_make_kit_then_load_kit_brings_back_a_removed_base(images, tmp_path):
    project = images.project("go-gin", runtime="scratch", workshop="yes")
    variables = dict(word.split("=", 1) for word in lesson_variables("go-gin", project))
    # The test's own names for the bases, so that removing one leaves the engine's own images alone
    ours = {}
    for name in ("BUILDER_IMAGE", "SLIM_IMAGE"):
        base = variables.get(name) or make_variable(project, name)
        if containers.docker("image", "inspect", base, check=False).returncode != 0:
            containers.docker("pull", base)  # official images, on a machine that reaches a registry
        ours[name] = Images.tag(f"kit-{name.lower().replace('_', '-')}:1")
        containers.docker("tag", base, ours[name])
    arguments = [f"{name}={tag}" for name, tag in ours.items()]
    arguments += [f"KIT={tmp_path / 'kit.tar'}", f"DOCKER={base_images.docker_command()}"]
    removed = ours["SLIM_IMAGE"]
    try:
        make(project, "kit", *arguments, timeout=600)
        image_id = containers.docker("image", "inspect", "--format", "{{.Id}}", removed).stdout.strip()
        containers.docker("image", "rm", removed)
        assert containers.docker("image", "inspect", removed, check=False).returncode != 0
        make(project, "load-kit", *arguments, timeout=600)
        assert containers.docker("image", "inspect", "--format", "{{.Id}}", removed).stdout.strip() == image_id
    finally:
        containers.docker("image", "rm", *ours.values(), check=False)
