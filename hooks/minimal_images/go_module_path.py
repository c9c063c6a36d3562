"""Go module path rules, as the Go toolchain applies them (golang.org/x/mod/module.CheckPath)."""

import re

ELEMENT_CHARS = re.compile(r"[A-Za-z0-9._~-]+")
FIRST_ELEMENT_CHARS = re.compile(r"[a-z0-9.-]+")
MAJOR_VERSION_SUFFIX = re.compile(r"v[0-9]+")
# Windows cannot create files with these names, so Go refuses them as path elements.
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}


def go_module_path_problem(path):
    """Why Go would refuse this module path, or None when it is valid."""
    path = str(path)
    if not path:
        return "it is empty"
    if path.startswith("/") or path.endswith("/"):
        return "it starts or ends with a slash"
    elements = path.split("/")
    for element in elements:
        problem = _element_problem(element)
        if problem:
            return problem
    first = elements[0]
    if not FIRST_ELEMENT_CHARS.fullmatch(first):
        return f"its first element {first!r} may hold only lowercase letters, digits, dots and hyphens"
    if "." not in first:
        return f"its first element {first!r} has no dot (it must look like a domain name)"
    if first.startswith("-"):
        return f"its first element {first!r} starts with a hyphen"
    return _major_version_problem(elements[-1]) if len(elements) > 1 else None


def _element_problem(element):
    if element == "":
        return "it has an empty element (a double slash)"
    if element in (".", ".."):
        return f"it has a {element!r} element"
    if not ELEMENT_CHARS.fullmatch(element):
        return f"element {element!r} has characters other than letters, digits and - . _ ~"
    if element.startswith("."):
        return f"element {element!r} starts with a dot"
    if element.endswith("."):
        return f"element {element!r} ends with a dot"
    short_name = element.split(".", 1)[0]
    if short_name.lower() in WINDOWS_RESERVED:
        return f"element {element!r} is a reserved file name on Windows"
    if re.search(r"~[0-9]+$", short_name):
        return f"element {element!r} ends in a tilde and digits (a Windows short name)"
    return None


def _major_version_problem(last):
    if MAJOR_VERSION_SUFFIX.fullmatch(last):
        number = last[1:]
        if number.startswith("0") or int(number) < 2:
            return f"its major version suffix {last!r} must be v2 or higher, without a leading zero"
    return None
