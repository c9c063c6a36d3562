"""The scratch Python image runs what distroless runs: the system data the standard library reads at run time.

scratch-rootfs.sh copies each file that a standard-library module reads from the build image's Debian packages
(DATA_FILES). One probe, run by each image's own interpreter, asks those modules about time zones, the TZ
variable, media types, service and protocol names; the scratch image must answer as the distroless image of
the same project does. The probe must tell when a file is missing: checked by hiding each file at run time,
and by an image whose scratch root was assembled without one.
"""

import json
import shutil

import containers
import pytest

pytestmark = pytest.mark.image

# What scratch-rootfs.sh ships: each file, the Debian package it comes from, and the probe's answers it makes
DATA_FILES = {
    # zoneinfo, and the C library behind time.localtime() when TZ names a zone
    "/usr/share/zoneinfo": ("tzdata", {"zones", "available zones", "TZ"}),
    "/etc/mime.types": ("media-types", {"types"}),  # mimetypes
    "/etc/services": ("netbase", {"services", "ports"}),  # socket.getservbyname(), getservbyport()
    "/etc/protocols": ("netbase", {"protocols"}),  # socket.getprotobyname()
}
# What distroless ships from the same packages and scratch leaves out, since no module reads it
LEFT_OUT = ("/etc/rpc", "/etc/ethertypes")
TZ = "Europe/Paris"
STATUS_D = "/var/lib/dpkg/status.d"

# Run as `python -c PROBE PATH...`: prints one JSON document; the PATHs are files whose presence it reports.
# Fixed instants in the past, a winter and a summer one, so that the answers do not depend on today's date;
# US/Eastern is a legacy name (Debian's tzdata-legacy), which neither image has.
PROBE = """
import json, mimetypes, os, socket, sys, time, zoneinfo
from datetime import datetime, timezone

INSTANTS = [datetime(2025, 1, 15, 12, tzinfo=timezone.utc), datetime(2025, 7, 15, 12, tzinfo=timezone.utc)]
ZONES = ["Europe/Paris", "America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Lord_Howe",
         "Etc/UTC", "US/Eastern"]
# What a web service serves from static/: pages, styles, scripts, images, fonts, media, downloads
EXTENSIONS = [".html", ".css", ".js", ".mjs", ".json", ".map", ".webmanifest", ".wasm", ".svg", ".png", ".jpg",
              ".gif", ".webp", ".avif", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".txt", ".csv", ".xml", ".pdf",
              ".mp4", ".webm", ".mp3", ".zip", ".gz"]
SERVICES = [("http", "tcp"), ("https", "tcp"), ("ssh", "tcp"), ("smtp", "tcp"), ("domain", "udp"), ("ntp", "udp"),
            ("postgresql", "tcp"), ("mysql", "tcp")]

def answer(function, *args):
    try:
        return function(*args)
    except Exception as error:
        return type(error).__name__

def local_times(zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    return [instant.astimezone(zone).strftime("%H:%M %z %Z") for instant in INSTANTS]

print(json.dumps({
    "zones": {name: answer(local_times, name) for name in ZONES},
    "available zones": sorted(set(ZONES) & zoneinfo.available_timezones()),
    "TZ": {
        "value": os.environ.get("TZ"),
        "tzname": time.tzname,
        "timezone": time.timezone,
        "localtime": [time.strftime("%H:%M %z %Z", time.localtime(instant.timestamp())) for instant in INSTANTS],
    },
    "types": {extension: mimetypes.guess_type("file" + extension) for extension in EXTENSIONS},
    "services": {f"{name}/{protocol}": answer(socket.getservbyname, name, protocol) for name, protocol in SERVICES},
    "ports": {str(port): answer(socket.getservbyport, port, "tcp") for port in (80, 443, 5432)},
    "protocols": {name: answer(socket.getprotobyname, name) for name in ("tcp", "udp", "icmp", "ipv6-icmp", "sctp")},
    "present": {path: os.path.exists(path) for path in sys.argv[1:]},
}, sort_keys=True))
"""

# A few of distroless's answers, so that the probe cannot pass by asking what neither image knows
DISTROLESS_KNOWS = {
    ("zones", "Europe/Paris"): ["13:00 +0100 CET", "14:00 +0200 CEST"],
    ("zones", "US/Eastern"): "ZoneInfoNotFoundError",
    ("TZ", "localtime"): ["13:00 +0100 CET", "14:00 +0200 CEST"],
    ("types", ".woff2"): ["font/woff2", None],
    ("services", "http/tcp"): 80,
    ("protocols", "tcp"): 6,
}


def run_python(image, code, *args, docker_run_args=()):
    """What the image's own interpreter prints for `python -c code args`, on a read-only root."""
    python = containers.entrypoint_python(image)
    command = ["run", "--rm", "--read-only", *docker_run_args, "--entrypoint", python, image, "-c", code, *args]
    return containers.docker(*command).stdout


def probe(image, *docker_run_args):
    """The probe's answers in the image, with TZ set to a named zone; docker_run_args go before the image."""
    return json.loads(run_python(image, PROBE, *LEFT_OUT, docker_run_args=("-e", f"TZ={TZ}", *docker_run_args)))


def hidden(path):
    """`docker run` options that leave the path in place but empty: a folder becomes an empty tmpfs."""
    if path == "/usr/share/zoneinfo":
        return ("--mount", f"type=tmpfs,destination={path}")
    return ("--mount", f"type=bind,source=/dev/null,destination={path},readonly")


def differences(answers, expected):
    """The probe's questions that the two sets of answers answer differently, the presence of files aside."""
    return {question for question in expected if question != "present" and answers[question] != expected[question]}


@pytest.fixture(scope="module")
def scratch(images):
    return images.get("python-flask", runtime="scratch").tag


@pytest.fixture(scope="module")
def distroless_answers(images):
    return probe(images.get("python-flask", runtime="distroless").tag)


def test_distroless_answers_the_probe_from_its_system_data(distroless_answers):
    assert {key: distroless_answers[key[0]][key[1]] for key in DISTROLESS_KNOWS} == DISTROLESS_KNOWS
    assert distroless_answers["present"] == dict.fromkeys(LEFT_OUT, True)


def test_scratch_answers_the_probe_as_distroless_does(scratch, distroless_answers):
    answers = probe(scratch)
    assert answers.keys() == distroless_answers.keys()
    assert differences(answers, distroless_answers) == set()
    assert answers["present"] == dict.fromkeys(LEFT_OUT, False), "left out on purpose: no module reads them"


def test_scratch_ships_each_data_file_with_the_metadata_of_its_package(scratch):
    packages = sorted({package for package, _ in DATA_FILES.values()})
    read = "import json, sys; print(json.dumps({p: open(f'{sys.argv[1]}/{p}.md5sums').read() for p in sys.argv[2:]}))"
    listed = json.loads(run_python(scratch, read, STATUS_D, *packages))
    shipped_by = {}
    for package, text in listed.items():
        for line in text.splitlines():
            path = "/" + line.split("  ", 1)[1]
            data_file = next((data for data in DATA_FILES if path == data or path.startswith(data + "/")), path)
            shipped_by.setdefault(data_file, set()).add(package)
    assert shipped_by == {path: {package} for path, (package, _) in DATA_FILES.items()}


@pytest.mark.parametrize("path", sorted(DATA_FILES))
def test_the_probe_tells_which_data_file_is_missing(scratch, distroless_answers, path):
    _, answered_from_it = DATA_FILES[path]
    assert differences(probe(scratch, *hidden(path)), distroless_answers) == answered_from_it


def test_the_probe_tells_a_scratch_root_assembled_without_a_data_file(images, distroless_answers, tmp_path):
    project = shutil.copytree(images.project("python-flask", runtime="scratch"), tmp_path / "without-mime-types")
    script = project / "scratch-rootfs.sh"
    text = script.read_text()
    assert text.count(" media-types:/etc/mime.types") == 1
    script.write_text(text.replace(" media-types:/etc/mime.types", ""))
    args = images.build_args("python-flask", runtime="scratch")
    without = containers.build(project, images.tag("py-scratch-without-mime-types:dev"), args).tag
    assert differences(probe(without), distroless_answers) == DATA_FILES["/etc/mime.types"][1]
