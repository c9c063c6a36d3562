"""The image's smoke test: every top-level module of every installed distribution imports in the image.

`make smoke` runs this with the image's own interpreter, its libraries and its read-only root (the
script comes in on standard input, so nothing of it ships). A compiled dependency whose shared library the
runtime lacks then fails here, naming the module and the library, instead of at its first import in
production. The modules are read from the virtual environment's own metadata: each distribution's
top_level.txt, or else the files its RECORD lists.
"""

import csv
import importlib
import importlib.metadata
import sys
import sysconfig
from pathlib import PurePosixPath

# Top-level modules not meant to be imported on their own (one that needs an optional dependency you do not
# install, for example): their names, which this check then leaves out.
SKIP = ()


def top_level_modules(distribution):
    """The names a distribution installs at the top of site-packages (packages and single-file modules)."""
    text = distribution.read_text("top_level.txt")
    if text:
        names = {line.strip().replace("/", ".").split(".")[0] for line in text.splitlines()}
    else:
        # RECORD as written, not Distribution.files, which leaves out files no longer there: on the scratch
        # runtime each module's source is gone, replaced by its bytecode.
        names = set()
        for row in csv.reader((distribution.read_text("RECORD") or "").splitlines()):
            parts = PurePosixPath(row[0]).parts if row else ()
            first, suffix = (parts[0], PurePosixPath(row[0]).suffix) if parts else ("", "")
            if first in ("..", "__pycache__") or first.endswith((".dist-info", ".data", ".pth")):
                continue
            if suffix in (".py", ".pyc", ".so"):
                names.add(first if len(parts) > 1 else first.split(".")[0])
    return sorted(name for name in names if name.isidentifier())


def main():
    site_packages = sysconfig.get_path("purelib")
    found = importlib.metadata.distributions(path=[site_packages])
    distributions = sorted(found, key=lambda distribution: distribution.metadata["Name"].lower())
    failed, imported = [], 0
    for distribution in distributions:
        name, version = distribution.metadata["Name"], distribution.version
        for module in top_level_modules(distribution):
            if module in SKIP:
                continue
            try:
                importlib.import_module(module)
            except Exception as error:  # every failure is reported, whatever its kind
                why = f"{type(error).__name__}: {error}"
                failed.append(f"error: {module} (from {name} {version}) does not import: {why}")
            else:
                imported += 1
    if not distributions:
        failed.append(f"error: no installed distribution found in {site_packages}")
    for line in failed:
        print(line, file=sys.stderr)
    if failed:
        see = 'see "Compiled dependencies" in README.md'
        print(f"check_imports.py: the image cannot import what is above; {see}", file=sys.stderr)
        return 1
    print(f"check_imports.py: {imported} modules of {len(distributions)} distributions import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
