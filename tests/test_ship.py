"""What a generated project ships with: its CI workflow and Dependabot configuration, checked as parsed
YAML and by actionlint and zizmor (pushing, signing and scanning need GitHub, so their configuration is what
can be proved here), and the `make scan` target."""

import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import containers
import pytest
import yaml
from conftest import installed_tool
from minimal_images.rules import TEMPLATES

# Every runtime of every template, from the rule tables
RUNTIMES = [
    (template.name, runtime)
    for template in TEMPLATES.values()
    for field in template.fields
    if field.name == "runtime"
    for runtime in field.choices
]
WORKFLOW = Path(".github/workflows/ci.yaml")
DEPENDABOT = Path(".github/dependabot.yml")
PLATFORMS = {"linux/amd64", "linux/arm64"}
JOBS = {"test": set(), "lint": set(), "image": {"test", "lint"}, "publish": {"image"}, "scan": {"publish"}}
# The only jobs that may write packages or ask for an OIDC token: the one that pushes and signs
WRITE_PERMISSIONS = {"publish": {"contents": "read", "packages": "write", "id-token": "write"}}
# Differences between the two workflows that the language forces: each template's own toolchain, and QEMU
# for Python's arm64 build stage (Go cross-compiles instead)
OWN_ACTIONS = {
    "go-gin": {"actions/setup-go"},
    "python-flask": {"actions/setup-python", "docker/setup-qemu-action"},
}
# Package ecosystems Dependabot watches beside docker and github-actions
DEPENDENCY_ECOSYSTEM = {"go-gin": "gomod", "python-flask": "uv"}
PINNED_USES = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


@pytest.fixture(scope="module", params=RUNTIMES, ids="-".join)
def template_and_runtime(request):
    return request.param


@pytest.fixture(scope="module")
def project(template_and_runtime, bake_once):
    template, runtime = template_and_runtime
    return baked(bake_once, template, runtime=runtime)


def baked(bake_once, template, **options):
    result = bake_once(template, **options)
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="module")
def workflow(project):
    return yaml.safe_load((project / WORKFLOW).read_text(encoding="utf-8"))


def workflow_of(bake_once, template):
    """The workflow of the template's project with its default answers."""
    return yaml.safe_load((baked(bake_once, template) / WORKFLOW).read_text(encoding="utf-8"))


def needs(job):
    """A job's `needs`, which YAML allows as one name or a list, as a set."""
    wanted = job.get("needs", [])
    return {wanted} if isinstance(wanted, str) else set(wanted)


def triggers(workflow):
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as true


def action(uses):
    return uses.partition("@")[0]


def steps_using(job, name):
    return [step for step in job["steps"] if action(step.get("uses", "")) == name]


def only_step_using(job, name):
    steps = steps_using(job, name)
    assert len(steps) == 1, f"{len(steps)} steps use {name}"
    return steps[0]


def step_output(expression):
    """The step id and output named by an expression like ${{ steps.push.outputs.digest }}."""
    match = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", expression)
    assert match, expression
    return match.groups()


def step_with_id(job, step_id):
    return next(step for step in job["steps"] if step.get("id") == step_id)


def test_pull_requests_test_lint_and_build_and_pushes_and_tags_also_publish(workflow):
    on = triggers(workflow)
    assert "pull_request" in on
    assert on["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert {name: needs(job) for name, job in workflow["jobs"].items()} == JOBS
    assert workflow["jobs"]["publish"]["if"] == "github.event_name == 'push'"


def test_publish_builds_both_platforms_with_buildx_and_pushes(workflow):
    publish = workflow["jobs"]["publish"]
    only_step_using(publish, "docker/setup-buildx-action")
    build = only_step_using(publish, "docker/build-push-action")["with"]
    assert set(build["platforms"].split(",")) == PLATFORMS
    assert build["push"] is True
    assert step_output(build["tags"]) == (only_step_using(publish, "docker/metadata-action")["id"], "tags")


def test_publish_pushes_to_ghcr_under_the_repository_name(workflow):
    publish = workflow["jobs"]["publish"]
    assert only_step_using(publish, "docker/login-action")["with"]["registry"] == "ghcr.io"
    name_step, _ = step_output(only_step_using(publish, "docker/metadata-action")["with"]["images"])
    words = shlex.split(step_with_id(publish, name_step)["run"])
    assert words[:2] == ["echo", "image=ghcr.io/${GITHUB_REPOSITORY,,}"]  # the registry wants lowercase


def test_publish_attaches_an_sbom_and_a_provenance_attestation(workflow):
    build = only_step_using(workflow["jobs"]["publish"], "docker/build-push-action")["with"]
    assert build["sbom"] is True
    assert build["provenance"] == "mode=max"


def test_publish_signs_the_pushed_digest_with_cosign(workflow):
    publish = workflow["jobs"]["publish"]
    steps = publish["steps"]
    installer = steps.index(only_step_using(publish, "sigstore/cosign-installer"))
    sign = next(step for step in steps if shlex.split(step.get("run", ""))[:2] == ["cosign", "sign"])
    assert steps.index(sign) > installer
    assert shlex.split(sign["run"]) == ["cosign", "sign", "--yes", "$PUSHED"]
    name, digest = sign["env"]["PUSHED"].split("@")
    assert step_output(digest) == (only_step_using(publish, "docker/build-push-action")["id"], "digest")
    assert step_output(name) == step_output(only_step_using(publish, "docker/metadata-action")["with"]["images"])


def test_scan_runs_trivy_on_the_pushed_digest_and_fails_on_fixable_high_or_critical(workflow):
    jobs = workflow["jobs"]
    scan = jobs["scan"]
    trivy = only_step_using(scan, "aquasecurity/trivy-action")
    assert trivy["with"]["image-ref"] == "${{ needs.publish.outputs.image }}"
    _, digest = jobs["publish"]["outputs"]["image"].split("@")
    assert step_output(digest) == (only_step_using(jobs["publish"], "docker/build-push-action")["id"], "digest")
    assert trivy["with"]["severity"] == "HIGH,CRITICAL"
    assert trivy["with"]["ignore-unfixed"] is True
    assert trivy["with"]["exit-code"] == "1"
    assert {f"linux/{arch}" for arch in scan["strategy"]["matrix"]["arch"]} == PLATFORMS


def test_scan_uploads_its_report_even_when_it_fails(workflow):
    scan = workflow["jobs"]["scan"]
    upload = only_step_using(scan, "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == only_step_using(scan, "aquasecurity/trivy-action")["with"]["output"]


def test_lint_runs_hadolint_on_the_dockerfile(workflow):
    hadolint = only_step_using(workflow["jobs"]["lint"], "hadolint/hadolint-action")
    assert hadolint["with"]["dockerfile"] == "Dockerfile"


def test_permissions_are_read_only_except_where_publish_pushes_and_signs(workflow):
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job["permissions"]
        assert granted == WRITE_PERMISSIONS.get(name, granted)
        if name not in WRITE_PERMISSIONS:
            assert set(granted.values()) == {"read"}, name


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment(project):
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    uses_lines = [line for line in text.splitlines() if re.match(r"^\s*(?:- )?uses:", line)]
    assert uses_lines
    assert [line for line in uses_lines if not PINNED_USES.match(line)] == []


def test_both_templates_pin_each_action_to_the_same_commit(bake_once):
    pins = {}
    for template in OWN_ACTIONS:
        text = (baked(bake_once, template) / WORKFLOW).read_text(encoding="utf-8")
        for match in filter(None, map(PINNED_USES.match, text.splitlines())):
            name, commit, version = match.groups()
            pins.setdefault(name, set()).add((commit, version))
    assert {name: len(commits) for name, commits in pins.items()} == dict.fromkeys(pins, 1)


def test_both_templates_have_the_same_jobs_needs_concurrency_and_permissions(bake_once):
    go, python = (workflow_of(bake_once, template) for template in ("go-gin", "python-flask"))
    for key in ("on", True, "permissions", "concurrency"):
        assert go.get(key) == python.get(key), key
    assert go["jobs"].keys() == python["jobs"].keys()
    for name in JOBS:
        for key in ("needs", "if", "permissions", "outputs", "strategy", "runs-on"):
            assert go["jobs"][name].get(key) == python["jobs"][name].get(key), (name, key)
    assert go["jobs"]["scan"] == python["jobs"]["scan"]
    assert go["jobs"]["lint"] == python["jobs"]["lint"]


def test_the_workflows_differ_in_actions_only_where_the_language_forces_it(bake_once):
    used = {}
    for template in OWN_ACTIONS:
        workflow = workflow_of(bake_once, template)
        steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
        used[template] = {action(step["uses"]) for step in steps if "uses" in step}
    go, python = used["go-gin"], used["python-flask"]
    assert go - python == OWN_ACTIONS["go-gin"]
    assert python - go == OWN_ACTIONS["python-flask"]


def workflows(project):
    """Every workflow the project carries (ci.yaml, and the weekly template check), relative to it."""
    return sorted(path.relative_to(project) for path in (project / WORKFLOW.parent).glob("*.y*ml"))


def test_workflows_pass_actionlint(project):
    assert WORKFLOW in workflows(project)
    done = subprocess.run(
        [installed_tool("actionlint"), "-no-color", *map(str, workflows(project))],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_and_dependabot_have_no_zizmor_finding_of_medium_severity_or_above(project):
    zizmor = Path(sys.executable).with_name("zizmor")
    done = subprocess.run(
        [str(zizmor), "--offline", "--min-severity", "medium", "--format", "plain", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    audited = {line.rsplit(" ", 1)[-1] for line in done.stderr.splitlines() if "completed" in line}
    assert audited == {f"./{DEPENDABOT}"} | {f"./{path}" for path in workflows(project)}


def test_dependabot_watches_the_base_images_the_dependencies_and_the_actions_weekly_in_groups(
    project, template_and_runtime
):
    template, _ = template_and_runtime
    config = yaml.safe_load((project / DEPENDABOT).read_text(encoding="utf-8"))
    assert config["version"] == 2
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems == {"docker", "github-actions", DEPENDENCY_ECOSYSTEM[template]}
    for update in config["updates"]:
        assert update["schedule"]["interval"] == "weekly"
        assert [group["patterns"] for group in update["groups"].values()] == [["*"]]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_make_scan_without_trivy_or_grype_fails_and_says_where_to_get_one(bake_once, template):
    done = subprocess.run(
        ["make", "scan", "TRIVY=/nonexistent/trivy", "GRYPE=/nonexistent/grype"],
        cwd=baked(bake_once, template),
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "https://trivy.dev" in done.stderr
    assert "https://github.com/anchore/grype" in done.stderr


# A stand-in scanner: records its arguments, keeps the image archive it was given, exits with a chosen status
FAKE_SCANNER = """#!/bin/sh
printf '%s\\n' "$@" >"$0.args"
for word in "$@"; do
    if [ -f "${word#docker-archive:}" ]; then cp "${word#docker-archive:}" "$0.tar"; fi
done
exit "$FAKE_STATUS"
"""
ARCHIVE = "ARCHIVE"
# What each scanner is asked for: the saved image, and a failure on HIGH or CRITICAL findings with a fix
SCANNER_ARGUMENTS = {
    "trivy": ["image", "--input", ARCHIVE, "--severity", "HIGH,CRITICAL", "--ignore-unfixed", "--exit-code", "1"],
    "grype": [f"docker-archive:{ARCHIVE}", "--only-fixed", "--fail-on", "high"],
}


@pytest.mark.image
@pytest.mark.parametrize("scanner", sorted(SCANNER_ARGUMENTS))
@pytest.mark.parametrize("status", [0, 1])
def test_make_scan_hands_the_saved_image_to_the_installed_scanner_and_fails_when_it_does(
    images, tmp_path, scanner, status
):
    image = images.get("go-gin", runtime="scratch").tag
    fake = tmp_path / scanner
    fake.write_text(FAKE_SCANNER)
    fake.chmod(0o755)
    others = {name: "/nonexistent/" + name for name in SCANNER_ARGUMENTS if name != scanner}
    words = [f"{name.upper()}={path}" for name, path in {scanner: fake, **others}.items()]
    done = subprocess.run(
        ["make", "scan", f"IMAGE={image}", f"DOCKER={containers.base_images.docker_command()}", *words],
        cwd=images.project("go-gin", runtime="scratch"),
        capture_output=True,
        text=True,
        env={**os.environ, "FAKE_STATUS": str(status)},
    )
    assert (done.returncode == 0) == (status == 0), done.stderr
    recorded = fake.with_name(scanner + ".args").read_text().splitlines()
    archive = next(word for word in recorded if word.removeprefix("docker-archive:").startswith("/"))
    archive = archive.removeprefix("docker-archive:")
    assert [word.replace(archive, ARCHIVE) for word in recorded] == SCANNER_ARGUMENTS[scanner]
    with tarfile.open(fake.with_name(scanner + ".tar")) as saved:
        manifest = json.load(saved.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == [image]
