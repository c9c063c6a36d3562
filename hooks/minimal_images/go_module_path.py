"""Go module path rules: exactly what the Go toolchain accepts for a main module.

A path is accepted when `go mod init PATH` and then `go build` both succeed (checked against the toolchain by
tests/test_go_module_path.py). That is golang.org/x/mod/module's import-path rules, the lax checks `go mod init`
adds, the major-version suffix rules, and cmd/go's refusal of a package path that starts like a command-line flag.
It is laxer than module.CheckPath, which a path must pass for *other* modules to fetch it (a dotted, lowercase
first element): that is a warning (rules.py), since a service that nobody imports needs neither.
"""

import re

# ASCII letters, digits and - . _ ~ + (module.importPathOK).
ELEMENT_CHARS = re.compile(r"[A-Za-z0-9._~+-]+")
# cmd/go refuses a path, or a package folder, whose name starts with anything else (load.SafeArg).
SAFE_START = re.compile(r"[A-Za-z0-9._]")
# Windows cannot create files with these names, so Go refuses them as the part of an element before a dot.
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}
# Names go.mod keeps for itself, and the go command's package patterns (`go help packages`).
RESERVED_PATHS = {"go", "toolchain", "std", "cmd", "all", "tool", "work"}
MAJOR_SUFFIX = re.compile(r"/v([0-9.]+)$")
GOPKG_IN = re.compile(r"gopkg\.in/.+\.v([0-9.]+)")


def go_module_path_problem(path):
    """Why the Go toolchain would refuse this as a main module's path, or None when it builds."""
    path = str(path)
    if not path:
        return "it is empty"
    if path in RESERVED_PATHS:
        return f"{path!r} is a name the go command keeps for itself"
    if path.startswith("/") or path.endswith("/"):
        return "it starts or ends with a slash"
    elements = path.split("/")
    for element in elements:
        problem = _element_problem(element)
        if problem:
            return problem
    if not SAFE_START.match(path):
        return f"it starts with {path[0]!r}, which the go command would take for a flag"
    if not SAFE_START.match(elements[-1]):
        return f"its last element {elements[-1]!r} starts with {elements[-1][0]!r}, which the go command refuses"
    return _major_version_problem(path)


def _element_problem(element):
    if element == "":
        return "it has an empty element (a double slash)"
    if set(element) == {"."}:
        return f"it has a {element!r} element"
    if not ELEMENT_CHARS.fullmatch(element):
        return f"element {element!r} has characters other than ASCII letters, digits and - . _ ~ +"
    if element.endswith("."):
        return f"element {element!r} ends with a dot"
    short_name = element.split(".", 1)[0]
    if short_name.lower() in WINDOWS_RESERVED:
        return f"element {element!r} is a reserved file name on Windows"
    if re.search(r"~[0-9]+$", short_name):
        return f"element {element!r} ends in a tilde and digits (a Windows short name)"
    return None


def _major_version_problem(path):
    if path.startswith("gopkg.in/"):
        match = GOPKG_IN.fullmatch(path)
        if not match:
            return "a gopkg.in path must end in .vN, as in gopkg.in/yaml.v3 or gopkg.in/user/pkg.v2"
        number = match.group(1)
        if "." in number or (number.startswith("0") and number != "0"):
            return f"its gopkg.in version suffix '.v{number}' must be a whole number without a leading zero"
        return None
    match = MAJOR_SUFFIX.search(path)
    if match:
        number = match.group(1)
        if "." in number or number.startswith("0") or int(number) < 2:
            return f"its major version suffix '/v{number}' must be /v2 or higher, a whole number without a leading zero"
    return None
