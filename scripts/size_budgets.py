"""How large each runtime's image may be: one table, read by the suite and checked against every `make size`.

The local stand-ins and the official base images differ in size (the stand-in for python:3.13-slim is
37 MB larger than the official image; the official distroless python3 is about 10 MB larger than its
stand-in), so a budget is stated in one of two ways:
- added_mb: what the template's own layers may add to the runtime base. Those layers are the same on
  either base set, so this budget is too; the image tests check it against the base the image was built on.
- total_mb: the whole image, per base set. "official" is the generated Makefile's SIZE_BUDGET_MB default,
  which must hold for users, who build on the official bases; "stand-in" is what the suite allows on the
  local stand-ins, equal to the official one wherever the stand-ins do not make the image larger.
A unit test checks the official arithmetic without an engine: each official base's size plus added_mb stays
within total_mb, so an image that passes the suite's added_mb check on the stand-ins passes `make size` on
the official bases too.
"""

import re
from dataclasses import dataclass

MB = 1000**2  # megabytes as `docker images` and `make size` count them
BASE_SETS = ("official", "stand-in")
SCRATCH = "scratch"


@dataclass(frozen=True)
class Budget:
    added_mb: float
    official_total_mb: float
    stand_in_total_mb: float | None = None  # None: the same as on the official bases

    @property
    def added_bytes(self):
        return int(self.added_mb * MB)

    def total_mb(self, base_set):
        if base_set not in BASE_SETS:
            raise ValueError(f"base set {base_set!r}; expected one of {', '.join(BASE_SETS)}")
        if base_set == "stand-in" and self.stand_in_total_mb is not None:
            return self.stand_in_total_mb
        return self.official_total_mb

    def total_bytes(self, base_set):
        return int(self.total_mb(base_set) * MB)


# (template, runtime) -> its budget. Measured sizes (benchmarks/results.json, stand-ins): go-gin scratch 8.9 MB
# in all, distroless 8.3 MB on its base; python-flask scratch 36.2 MB in all; distroless 11 MB on its base: the
# venv (6.9 MB) and the standard library's bytecode for what the service imports (4.1 MB, which halves its
# start-up; see the Python template's README). slim adds as much on the official python:slim, which ships no
# bytecode, and only the venv on the stand-in, whose Debian Python has its bytecode already.
# python-flask scratch moved from 36 MB (35.5 MB measured) by what its system data added (time zones, media
# types, service names: 0.72 MB of files and 0.03 MB of their package metadata, 751,436 bytes measured).
BUDGETS = {
    ("go-gin", "scratch"): Budget(added_mb=10, official_total_mb=10),
    ("go-gin", "distroless"): Budget(added_mb=9, official_total_mb=12),
    ("python-flask", "distroless"): Budget(added_mb=12, official_total_mb=72),
    ("python-flask", "scratch"): Budget(added_mb=36.75, official_total_mb=36.75),
    # The stand-in for python:3.X-slim is a debootstrap Debian (163 MB) where the official image is 126 MB
    ("python-flask", "slim"): Budget(added_mb=12, official_total_mb=145, stand_in_total_mb=180),
}

# The official runtime bases' sizes on disk (amd64, as `docker images` shows them). No registry answers where
# the suite runs, so the distroless figures are computed from what the images are made of: the Debian 13
# packages distroless lists for them (static/, base/, cc/ and python3/config.bzl in GoogleContainerTools/
# distroless at cd08076, 2026-08-21), unpacked and summed (2.30 and 59.5 MB), plus the CA bundle distroless
# generates (0.22 MB), rounded up. python:3.12-slim and 3.13-slim are the published sizes; 3.14-slim, for
# which no figure was found, is taken as 3.13's plus 5 MB, an assumption.
OFFICIAL_BASE_MB = {
    SCRATCH: 0,
    "gcr.io/distroless/static-debian13:nonroot": 2.6,
    "gcr.io/distroless/python3-debian13:nonroot": 60,
    "python:3.12-slim": 119,
    "python:3.13-slim": 126,
    "python:3.14-slim": 131,
}


def budget(template, runtime):
    try:
        return BUDGETS[(template, runtime)]
    except KeyError:
        known = ", ".join(f"{t} {r}" for t, r in BUDGETS)
        raise ValueError(f"no size budget for {template} {runtime}; known: {known}") from None


def dockerfile_arg_defaults(dockerfile_text):
    """The defaults of a Dockerfile's ARGs before its first FROM, with ${NAME} references to earlier ones expanded."""
    defaults = {}
    for line in dockerfile_text.splitlines():
        if line.startswith("FROM "):
            break
        if match := re.fullmatch(r"ARG (\w+)=(\S+)", line.strip()):
            name, value = match.groups()
            defaults[name] = re.sub(r"\$\{(\w+)\}", lambda ref: defaults[ref.group(1)], value)
    return defaults


def official_runtime_base(dockerfile_text):
    """The runtime base a generated Dockerfile builds on when no build argument replaces it."""
    return dockerfile_arg_defaults(dockerfile_text)["RUNTIME_IMAGE"]


def runtime_base(project, build_args):
    """The base an image of this project was built on: the RUNTIME_IMAGE build argument, else the default."""
    return build_args.get("RUNTIME_IMAGE") or official_runtime_base((project / "Dockerfile").read_text())
