"""The facts both templates' Kubernetes manifests are rendered from, as data.

shared/deploy/kubernetes/ holds the manifests once, as Jinja; the templates' extension hands them this table
(the entry for the template being rendered) as `deploy`, and the tests read the same table. Probe timings and
resources are chosen from what benchmarks/deploy_sizing.py measured on each template's default image (Measured
below); the tests hold the choices to those figures.
"""

from dataclasses import dataclass, field

# The images' numeric USER (distroless's "nonroot"): runAsNonRoot can check a number without /etc/passwd.
USER_ID = 65532
NAME_LABEL = "app.kubernetes.io/name"  # the selector: Service, PodDisruptionBudget and NetworkPolicy match it
COMPONENT_LABEL = "app.kubernetes.io/component"
COMPONENT = "server"
REPLICAS = 2  # two, so the PodDisruptionBudget can let one go during a node drain and the service stays up
# kubelet's own sleep (Kubernetes 1.30+, no binary in the image): requests still routed to a terminating pod,
# while Services and ingresses catch up with its removal, are answered instead of refused.
PRE_STOP_SLEEP_SECONDS = 5
# Container logs count as ephemeral storage; kubelet rotates them at 5 x 10 MiB by default.
EPHEMERAL_STORAGE_REQUEST = "32Mi"
EPHEMERAL_STORAGE_LIMIT = "128Mi"
# Where the generated CI pushes (ghcr.io/<owner>/<repository>); the user sets OWNER and the tag once, in
# kustomization.yaml's images: entry.
IMAGE_REGISTRY = "ghcr.io/OWNER"
# docker/metadata-action tags a push to main as "main": the first tag that exists after the first push.
IMAGE_TAG = "main"


@dataclass(frozen=True)
class Probe:
    period_seconds: int
    failure_threshold: int
    timeout_seconds: int = 2  # both services' own health checks give up after 2 s


@dataclass(frozen=True)
class Measured:
    """benchmarks/deploy_sizing.py on the default image: start to the first /healthz 200, memory idle and loaded."""

    start_seconds_median: float
    start_seconds_max: float
    idle_mib: float
    loaded_mib: float  # the highest `docker stats` reading under 16 busy clients


# Where and how the Measured figures below were taken (quoted in the generated READMEs).
MEASURED_ON = (
    "2026-12-01, x86_64, 2 cores shared with other builds, Docker Engine 20.10, stand-in base images; "
    "command: the template repository's benchmarks/deploy_sizing.py"
)


@dataclass(frozen=True)
class Runtime:
    """What differs between the templates' deployments, chosen from what was measured on the default image."""

    measured: Measured
    cpu_request: str
    cpu_limit: str
    memory_request: str  # at least the loaded peak: the scheduler reserves what the pod really uses
    memory_limit: str  # at least twice the loaded peak: the OOM killer stays away from an ordinary burst
    shutdown_seconds: int  # the service's own drain bound: main.go's shutdownTimeout, gunicorn's graceful_timeout
    # Not ready after 10 s: out of the Service; failing for 30 s: restarted.
    readiness: Probe = Probe(period_seconds=5, failure_threshold=2)
    liveness: Probe = Probe(period_seconds=10, failure_threshold=3)
    startup: Probe | None = None  # where start-up is too slow for liveness's patience alone
    env: dict = field(default_factory=dict)  # besides PORT
    sizing_note: str = ""  # how the service fits itself to these resources, for the deploy README
    writable_dirs: dict = field(default_factory=dict)  # path -> size of the memory-backed emptyDir mounted there

    @property
    def termination_grace_seconds(self):
        """The preStop pause plus the service's own drain, and 5 s to spare before kubelet's SIGKILL."""
        return PRE_STOP_SLEEP_SECONDS + self.shutdown_seconds + 5


def facts(template):
    """Everything the shared manifests read, for one template: the `deploy` variable in their Jinja."""
    return {
        "user_id": USER_ID,
        "name_label": NAME_LABEL,
        "component_label": COMPONENT_LABEL,
        "component": COMPONENT,
        "replicas": REPLICAS,
        "pre_stop_sleep_seconds": PRE_STOP_SLEEP_SECONDS,
        "ephemeral_storage_request": EPHEMERAL_STORAGE_REQUEST,
        "ephemeral_storage_limit": EPHEMERAL_STORAGE_LIMIT,
        "image_registry": IMAGE_REGISTRY,
        "image_tag": IMAGE_TAG,
        "measured_on": MEASURED_ON,
        "runtime": RUNTIMES[template],
    }


def quantity(text):
    """A Kubernetes quantity as a number: "192Mi" -> 201326592, "500m" -> 0.5, "1" -> 1."""
    for suffix, scale in QUANTITY_SUFFIXES.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    return float(text)


QUANTITY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "m": 1e-3}

RUNTIMES = {
    # Ready well within liveness's 30 s of patience, so no startup probe.
    "go-gin": Runtime(
        measured=Measured(start_seconds_median=0.48, start_seconds_max=0.55, idle_mib=2.2, loaded_mib=9.0),
        cpu_request="50m",
        cpu_limit="500m",
        memory_request="16Mi",
        memory_limit="64Mi",
        shutdown_seconds=10,
    ),
    # 1 CPU limit, so gunicorn.conf.py starts one (threaded) worker. The startup probe allows 30 s, over thirty
    # times the slowest start measured: a real service imports more than this one before it answers.
    "python-flask": Runtime(
        measured=Measured(start_seconds_median=0.75, start_seconds_max=0.94, idle_mib=29.5, loaded_mib=44.1),
        cpu_request="100m",
        cpu_limit="1",
        memory_request="64Mi",
        memory_limit="128Mi",
        shutdown_seconds=20,
        startup=Probe(period_seconds=1, failure_threshold=30),
        sizing_note="gunicorn.conf.py reads the CPU limit from the pod's cgroup and starts one threaded worker per"
        " CPU of it, not one per CPU of the node",
        # gunicorn's heartbeat goes to /dev/shm (the runtime's tmpfs); /tmp is for libraries wanting scratch space
        writable_dirs={"/tmp": "16Mi"},
    ),
}
