"""The generated Kubernetes manifests: valid, allowed by the restricted Pod Security profile, and runnable.

The manifests are rendered the way a user renders them (`make k8s`, which runs kustomize), then judged by the
real checkers: kubernetes-validate's strict schemas, the Pod Security admission code (scripts/podsecurity, built
by .ci/run) and kube-score. The image tests start each template's default image with `docker run` flags derived
from the parsed Deployment, so the security context that is checked is the one that runs.
"""

import copy
import json
import os
import runpy
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import containers
import kubernetes_validate
import pytest
import yaml
from minimal_images import deploy

KUBERNETES_VERSION = kubernetes_validate.latest_version()
KINDS = {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"}
KUBE_SCORE_CRITICAL = 1  # kube-score's JSON grades: 1 critical, 5 warning, 10 ok
# Each kube-score check the manifests turn off (an annotation with its reason beside it in deployment.yaml)
KUBE_SCORE_IGNORED = {"pod-probes-identical"}


@dataclass(frozen=True)
class Case:
    template: str
    options: dict

    @property
    def port(self):
        return int(self.options["port"])

    def __str__(self):
        return f"{self.template}-{self.options['runtime']}-{self.options['port']}"


# Every runtime of every template, each with a port other than its template's default.
CASES = [
    Case("go-gin", {"runtime": "scratch", "port": "9090"}),
    Case("go-gin", {"runtime": "distroless", "port": "9091"}),
    Case("python-flask", {"runtime": "distroless", "port": "9000"}),
    Case("python-flask", {"runtime": "scratch", "port": "9001"}),
    Case("python-flask", {"runtime": "slim", "port": "9002"}),
]

# One field taken out of the Deployment, and the Pod Security check that must then refuse it.
SECURITY_FIELDS = {
    "allowPrivilegeEscalation": (("containers", 0, "securityContext"), "allowPrivilegeEscalation != false"),
    "capabilities": (("containers", 0, "securityContext"), "unrestricted capabilities"),
    "runAsNonRoot": (("securityContext",), "runAsNonRoot != true"),
    "seccompProfile": (("securityContext",), "seccompProfile"),
}


def tools_env(tools):
    """PATH with the cached tools and this suite's virtual environment (kubernetes-validate) first."""
    return dict(os.environ, PATH=os.pathsep.join([str(tools), str(Path(sys.executable).parent), os.environ["PATH"]]))


def make(project, target, tools, env=None):
    return subprocess.run(
        ["make", "--no-print-directory", "-s", target],
        cwd=project,
        env=env or tools_env(tools),
        capture_output=True,
        text=True,
        timeout=120,
    )


def render(project, tools):
    """`make k8s` in the project, parsed: its documents by kind."""
    done = make(project, "k8s", tools)
    assert done.returncode == 0, done.stderr
    documents = [document for document in yaml.safe_load_all(done.stdout) if document]
    return {document["kind"]: document for document in documents}, done.stdout


def podsecurity(tools, manifests_text):
    return subprocess.run(
        [str(tools / "podsecurity")], input=manifests_text, capture_output=True, text=True, timeout=60
    )


def pod_spec(objects):
    return objects["Deployment"]["spec"]["template"]["spec"]


def container(objects):
    (only,) = pod_spec(objects)["containers"]
    return only


@pytest.fixture(scope="module", params=CASES, ids=str)
def case(request):
    return request.param


@pytest.fixture(scope="module")
def project(bake_once, case):
    result = bake_once(case.template, **case.options)
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="module")
def rendered(project, tools):
    return render(project, tools)


@pytest.fixture
def objects(rendered):
    """A fresh copy of the rendered objects, which a test may change."""
    return copy.deepcopy(rendered[0])


def test_kustomization_renders_a_deployment_service_disruption_budget_and_network_policy(objects):
    assert set(objects) == KINDS


def test_manifests_decode_strictly_against_the_kubernetes_api_schemas(objects):
    for document in objects.values():
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_strict_schema_check_refuses_a_misspelt_field(objects):
    container(objects)["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(objects["Deployment"], KUBERNETES_VERSION, strict=True)


def test_pod_template_is_allowed_at_restricted_latest_by_the_admission_checks(rendered, tools):
    done = podsecurity(tools, rendered[1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[0].endswith("allowed at restricted:latest")


@pytest.mark.parametrize("field", SECURITY_FIELDS)
def test_admission_checks_refuse_the_pod_template_without_one_security_field(objects, tools, field):
    path, reason = SECURITY_FIELDS[field]
    owner = pod_spec(objects)
    for step in path:
        owner = owner[step]
    del owner[field]
    done = podsecurity(tools, yaml.safe_dump(objects["Deployment"]))
    assert done.returncode == 1
    assert f"  {reason}" in done.stdout


def test_admission_checker_decodes_strictly_and_refuses_an_unknown_field(objects, tools):
    container(objects)["readOnlyRootFileSystem"] = True
    done = podsecurity(tools, yaml.safe_dump(objects["Deployment"]))
    assert done.returncode == 2
    assert 'unknown field "readOnlyRootFileSystem"' in done.stderr


def test_admission_checker_fails_when_it_finds_no_pod_template(objects, tools):
    done = podsecurity(tools, yaml.safe_dump(objects["Service"]))
    assert done.returncode == 1
    assert "no pod template found" in done.stderr


def test_kube_score_finds_nothing_critical(rendered, tools):
    done = subprocess.run(
        [str(tools / "kube-score"), "score", "--output-format", "json", "-"],
        input=rendered[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    scored = json.loads(done.stdout)
    critical = [
        (scored_object["object_name"], check["check"]["id"])
        for scored_object in scored
        for check in scored_object["checks"]
        if check["grade"] == KUBE_SCORE_CRITICAL and not check["skipped"]
    ]
    assert critical == []
    skipped = [check for scored_object in scored for check in scored_object["checks"] if check["skipped"]]
    assert {check["check"]["id"] for check in skipped} >= KUBE_SCORE_IGNORED


def test_chosen_port_is_used_by_container_probes_service_and_network_policy(objects, case):
    served = container(objects)
    probes = [served[probe] for probe in ("readinessProbe", "livenessProbe", "startupProbe") if probe in served]
    ports = {
        "containerPort": [port["containerPort"] for port in served["ports"]],
        "PORT": [int(variable["value"]) for variable in served["env"] if variable["name"] == "PORT"],
        "probes": [probe["httpGet"]["port"] for probe in probes],
        "Service": [port[key] for port in objects["Service"]["spec"]["ports"] for key in ("port", "targetPort")],
        "NetworkPolicy": [
            port["port"] for rule in objects["NetworkPolicy"]["spec"]["ingress"] for port in rule["ports"]
        ],
    }
    assert ports == {where: [case.port] * len(found) for where, found in ports.items()}
    assert all(ports.values())


def test_probes_ask_healthz(objects, case):
    served = container(objects)
    startup = {"startupProbe"} if deploy.RUNTIMES[case.template].startup else set()
    expected = {"readinessProbe", "livenessProbe"} | startup
    assert {probe for probe in served if probe.endswith("Probe")} == expected
    assert {served[probe]["httpGet"]["path"] for probe in expected} == {"/healthz"}


def test_network_policy_admits_only_the_service_port_and_lets_out_only_dns_to_the_cluster_resolver(objects):
    policy = objects["NetworkPolicy"]["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert [set(rule) for rule in policy["ingress"]] == [{"ports"}]  # from anywhere, to those ports only
    (dns,) = policy["egress"]  # one rule: anything it does not allow is denied
    assert {(port["port"], port["protocol"]) for port in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    (peer,) = dns["to"]
    assert peer == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }


def test_every_object_carries_the_slug_as_its_name_label_and_selects_the_pods(objects, project):
    slug = project.name
    assert {document["metadata"]["labels"][deploy.NAME_LABEL] for document in objects.values()} == {slug}
    pod_labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    selectors = [
        objects["Deployment"]["spec"]["selector"]["matchLabels"],
        objects["Service"]["spec"]["selector"],
        objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
        objects["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
    ]
    assert all(selector.items() <= pod_labels.items() and selector for selector in selectors)


def test_image_is_the_ghcr_reference_the_ci_publishes_set_by_the_kustomize_images_entry(objects, project):
    assert container(objects)["image"] == f"{deploy.IMAGE_REGISTRY}/{project.name}:{deploy.IMAGE_TAG}"
    kustomization = yaml.safe_load((project / "deploy/kubernetes/kustomization.yaml").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in kustomization["images"]] == [project.name]


def test_pod_and_container_security_context_match_the_shared_facts(objects):
    pod = pod_spec(objects)
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": deploy.USER_ID,
        "runAsGroup": deploy.USER_ID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container(objects)["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }


def test_resources_are_the_table_s_and_cover_the_measured_memory(objects, case):
    runtime = deploy.RUNTIMES[case.template]
    resources = container(objects)["resources"]
    assert resources["requests"]["memory"] == runtime.memory_request
    assert resources["limits"]["memory"] == runtime.memory_limit
    assert deploy.quantity(runtime.memory_request) >= runtime.measured.loaded_mib * 2**20
    assert deploy.quantity(runtime.memory_limit) >= 2 * runtime.measured.loaded_mib * 2**20


def test_probes_allow_three_times_the_slowest_measured_start_before_a_restart(objects, case):
    runtime = deploy.RUNTIMES[case.template]
    served = container(objects)
    first_restart_probe = served.get("startupProbe", served["livenessProbe"])
    patience = first_restart_probe["periodSeconds"] * first_restart_probe["failureThreshold"]
    assert patience >= 3 * runtime.measured.start_seconds_max


def test_grace_period_outlasts_the_pre_stop_pause_and_the_service_s_own_drain(objects, case):
    runtime = deploy.RUNTIMES[case.template]
    pause = container(objects)["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod_spec(objects)["terminationGracePeriodSeconds"] > pause + runtime.shutdown_seconds


def test_gunicorn_drain_bound_is_the_one_the_grace_period_is_sized_for(bake_once, monkeypatch):
    result = bake_once("python-flask")
    monkeypatch.delenv("PORT", raising=False)
    settings = runpy.run_path(str(result.project_path / "gunicorn.conf.py"))
    assert settings["graceful_timeout"] == deploy.RUNTIMES["python-flask"].shutdown_seconds


def test_deploy_check_passes_with_both_checkers_installed(project, tools):
    done = make(project, "deploy-check", tools)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipped" not in done.stderr


def test_deploy_check_fails_on_a_field_the_schema_does_not_know(project, tools, tmp_path):
    broken = tmp_path / "project"
    subprocess.run(["cp", "-r", str(project), str(broken)], check=True)
    deployment_file = broken / "deploy/kubernetes/deployment.yaml"
    deployment = yaml.safe_load(deployment_file.read_text(encoding="utf-8"))
    deployment["spec"]["replicaCount"] = 2
    deployment_file.write_text(yaml.safe_dump(deployment), encoding="utf-8")
    assert make(broken, "deploy-check", tools).returncode != 0


def test_deploy_check_names_each_missing_checker_and_fails_when_none_is_installed(project, tools, tmp_path):
    # Only kustomize on PATH (and make's own tools): neither checker can be found.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "kustomize").symlink_to(tools / "kustomize")
    path = os.pathsep.join([str(tmp_path / "bin"), "/usr/bin", "/bin"])
    missing = {"KUBERNETES_VALIDATE": "kubernetes-validate-missing", "KUBE_SCORE": "kube-score-missing"}
    env = dict(os.environ, PATH=path, **missing)
    done = make(project, "deploy-check", tools, env=env)
    assert done.returncode != 0
    assert "kubernetes-validate-missing not found" in done.stderr
    assert "kube-score-missing not found" in done.stderr
    assert "nothing was checked" in done.stderr


# The manifests, run: each template's default image (the one the image tests build), its default project's manifests.
DEFAULT_IMAGES = {"go-gin": {"runtime": "scratch"}, "python-flask": {"runtime": "distroless"}}


def docker_run_args(objects):
    """`docker run` flags for what the Deployment asks of its container; refuses what docker cannot honour."""
    pod = pod_spec(objects)
    served = container(objects)
    pod_security, security = pod["securityContext"], served["securityContext"]
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] != 0  # what the kubelet checks
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}  # docker applies its default profile
    args = ["--user", f"{pod_security['runAsUser']}:{pod_security['runAsGroup']}"]
    if security["readOnlyRootFilesystem"]:
        args.append("--read-only")
    args += [f"--cap-drop={capability}" for capability in security["capabilities"]["drop"]]
    if security["allowPrivilegeEscalation"] is False:
        args += ["--security-opt", "no-new-privileges"]
    limits = served["resources"]["limits"]
    args += ["--memory", str(int(deploy.quantity(limits["memory"]))), "--cpus", str(deploy.quantity(limits["cpu"]))]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in served.get("volumeMounts", []):
        empty_dir = volumes[mount["name"]]["emptyDir"]
        assert empty_dir["medium"] == "Memory"  # a tmpfs, as --tmpfs makes
        args += ["--tmpfs", f"{mount['mountPath']}:size={int(deploy.quantity(empty_dir['sizeLimit']))}"]
    for variable in served["env"]:
        args += ["--env", f"{variable['name']}={variable['value']}"]
    return args


@pytest.mark.image
@pytest.mark.parametrize("template", DEFAULT_IMAGES)
def test_default_image_runs_healthy_under_the_manifests_security_context_and_stops_cleanly(
    template, images, tools, start
):
    options = DEFAULT_IMAGES[template]
    objects, _ = render(images.project(template, **options), tools)
    served, grace = container(objects), pod_spec(objects)["terminationGracePeriodSeconds"]
    readiness = served["readinessProbe"]["httpGet"]
    first_restart_probe = served.get("startupProbe", served["livenessProbe"])
    patience = first_restart_probe["periodSeconds"] * first_restart_probe["failureThreshold"]

    container_id, host_port = start(
        images.get(template, **options).tag, served["ports"][0]["containerPort"], *docker_run_args(objects)
    )
    url = f"http://127.0.0.1:{host_port}{readiness['path']}"
    # Ready before the kubelet would give up on it and restart it
    status, _, _ = containers.wait_for_http(url, timeout=patience)
    assert status == 200
    assert containers.memory_bytes(container_id) <= deploy.quantity(served["resources"]["requests"]["memory"])
    health = containers.wait_for_state(container_id, "{{.State.Health.Status}}", {"healthy", "unhealthy"}, 90)
    assert health == "healthy"
    # Still healthy after some work: answering, not killed for memory, its own probe not failing
    for _ in range(100):
        assert containers.wait_for_http(url)[0] == 200
    state = containers.inspect(container_id)["State"]
    assert (state["Running"], state["OOMKilled"], state["Health"]["FailingStreak"]) == (True, False, 0)

    seconds, exit_code = containers.stop(container_id, grace_seconds=grace)
    assert exit_code == 0
    assert seconds < grace
