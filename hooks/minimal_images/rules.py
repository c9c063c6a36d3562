"""The rules for every template's answers, as data.

The pre-generation hook, the post-generation hook, the tests and the README's options table all read these
tables, so an accepted value, an error message and a test case cannot drift apart.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from .go_module_path import go_module_path_problem

PROJECT_SLUG_PATTERN = r"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,62}"
PROJECT_NAME_PATTERN = r"[^\W_][\w .,&()+!-]{0,79}"
# What module.CheckPath wants of a first element so that other modules can fetch the path.
DOMAIN_LIKE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
PORT_PATTERN = r"[1-9][0-9]{0,5}"  # digits (a few: int() of thousands fails); the range check says why
JINJA_MARKERS = ("{{", "{%", "{#")
# 2.5 brought the template chooser, but before 2.7 a boolean given on the command line (workshop=yes) stays
# the string "yes", which Jinja treats as true whatever it says.
MIN_COOKIECUTTER = (2, 7)


@dataclass(frozen=True)
class Field:
    """One answer: what it must look like, and the words that tell the user so."""

    name: str
    accepted: str
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[str], str | None] | None = None  # value -> reason or None, for what a pattern cannot say
    boolean: bool = False  # a JSON true or false, never a string that Jinja would read as true


@dataclass(frozen=True)
class Requirement:
    """A choice that narrows what another field accepts (cookiecutter-django keeps these as lists too)."""

    when_field: str
    when_value: str
    field: str
    allowed: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Caution:
    """A value that is accepted but unwise: a warning is printed and generation goes on."""

    field: str
    applies: Callable[[object], bool]
    advice: str


@dataclass(frozen=True)
class Template:
    name: str
    fields: tuple[Field, ...]
    requirements: tuple[Requirement, ...] = ()
    cautions: tuple[Caution, ...] = ()


PROJECT_NAME = Field(
    "project_name",
    "1 to 80 characters: letters, digits, spaces and - _ . , & ( ) + !, starting with a letter or digit",
    pattern=PROJECT_NAME_PATTERN,
)
PROJECT_SLUG = Field(
    "project_slug",
    "lowercase letters, digits and single hyphens, starting with a letter, ending with a letter or digit, "
    "at most 63 characters (a folder, image and DNS name)",
    pattern=PROJECT_SLUG_PATTERN,
)
PORT = Field(
    "port",
    "an integer from 1024 to 65535 (the container runs as a non-root user, which cannot bind lower ports)",
    pattern=PORT_PATTERN,
    minimum=1024,
    maximum=65535,
)
WORKSHOP = Field("workshop", "true or false", boolean=True)
LICENSE = Field(
    "license",
    "MIT, Apache-2.0 or none (no LICENSE file: all rights reserved)",
    choices=("MIT", "Apache-2.0", "none"),
)
EPHEMERAL_PORT = Caution(
    "port",
    lambda value: str(value).isdigit() and int(value) >= 49152,
    "is in the ephemeral range (49152-65535), where outgoing connections may already hold it",
)

GO_GIN = Template(
    "go-gin",
    fields=(
        PROJECT_NAME,
        PROJECT_SLUG,
        Field(
            "module_path",
            "a Go module path that `go mod init` and `go build` accept, such as example.com/team/service: "
            "ASCII letters, digits and - . _ ~ + in elements joined by single slashes; no '.' or '..' element, "
            "no element ending in a dot; no /v0 or /v1 suffix",
            check=go_module_path_problem,
        ),
        PORT,
        Field("runtime", "scratch or distroless", choices=("scratch", "distroless")),
        Field("go_version", "1.26 or 1.25", choices=("1.26", "1.25")),
        WORKSHOP,
        LICENSE,
    ),
    cautions=(
        EPHEMERAL_PORT,
        Caution(
            "module_path",
            lambda value: not DOMAIN_LIKE.fullmatch(str(value).split("/", 1)[0]),
            "does not start with a lowercase domain name: it builds, but no other module can `go get` it",
        ),
        Caution(
            "module_path",
            lambda value: value != str(value).lower(),
            "has capital letters: Go accepts them, but two paths differing only in case clash on "
            "case-insensitive file systems and in proxies",
        ),
    ),
)

DEBIAN13_PYTHON = ("3.13",)
PYTHON_FLASK = Template(
    "python-flask",
    fields=(
        PROJECT_NAME,
        PROJECT_SLUG,
        PORT,
        Field("runtime", "distroless, scratch or slim", choices=("distroless", "scratch", "slim")),
        Field("python_version", "3.13, 3.12 or 3.14", choices=("3.13", "3.12", "3.14")),
        WORKSHOP,
        LICENSE,
    ),
    requirements=(
        Requirement(
            "runtime",
            "distroless",
            "python_version",
            DEBIAN13_PYTHON,
            "gcr.io/distroless/python3-debian13 carries Debian 13's Python 3.13 only",
        ),
        Requirement(
            "runtime",
            "scratch",
            "python_version",
            DEBIAN13_PYTHON,
            "the scratch runtime is assembled from Debian 13's Python 3.13 packages",
        ),
    ),
    cautions=(EPHEMERAL_PORT,),
)

TEMPLATES = {template.name: template for template in (GO_GIN, PYTHON_FLASK)}
