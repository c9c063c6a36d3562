"""podman, as a user on Fedora or RHEL builds: the default project of each template builds through
`make image DOCKER=podman` (buildah underneath) and its image runs and answers.

Skipped with the reason where podman is missing, except on CI (CI=true), where that fails.
"""

import json
import subprocess

import base_images
import containers
import pytest
from conftest import unavailable

pytestmark = pytest.mark.image

# template -> (its default port, the seed's route, what it answers)
DEFAULT_PROJECTS = {
    "go-gin": ("8080", "/ping", {"message": "pong"}),
    "python-flask": ("8000", "/", "Hello, World!"),
}


@pytest.fixture(scope="module")
def podman_client():
    problem = containers.podman_problem()
    if problem:
        unavailable(f"podman does not run through {base_images.podman_command()!r}: {problem}")


@pytest.fixture(scope="module", params=sorted(DEFAULT_PROJECTS))
def podman_image(request, podman_client, images):
    """The template's default image, built by podman through the project's own `make image`."""
    template = request.param
    words = base_images.make_build_args(base_images.podman_build_args(images.build_args(template)))
    tag = images.tag(f"podman-{template}:dev")
    done = subprocess.run(
        ["make", "image", f"DOCKER={base_images.podman_command()}", f"IMAGE={tag}", f"BUILD_ARGS={words}"],
        cwd=images.project(template),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    yield template, tag
    containers.podman("image", "rm", "--force", tag, check=False)


@pytest.fixture
def podman_container(podman_image):
    template, tag = podman_image
    port = DEFAULT_PROJECTS[template][0]
    container, host_port = containers.run_detached(
        tag, port, "--read-only", *containers.PODMAN_RUN_WORKAROUND, client=containers.podman
    )
    yield template, container, f"http://127.0.0.1:{host_port}"
    containers.remove(container, client=containers.podman)


def test_podman_image_answers_the_seed_route(podman_container):
    template, _, url = podman_container
    _, path, answer = DEFAULT_PROJECTS[template]
    status, body, _ = containers.wait_for_http(url + path)
    assert status == 200
    assert (json.loads(body) if isinstance(answer, dict) else body) == answer


def test_podman_image_keeps_its_health_check(podman_container):
    _, container, url = podman_container
    containers.wait_for_http(url + "/healthz")
    done = containers.podman("healthcheck", "run", container, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
