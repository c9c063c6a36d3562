"""Checks every answer before a file is written; the rules live in the repository's hooks/ library."""

import os
import sys

# Cookiecutter runs this file from $TMPDIR, which Python puts first on sys.path: take it off, so a planted json.py
# there is never imported, and delete this copy, which holds every answer. (os and sys are loaded already.)
sys.path[:] = [{{ shared_hooks_dir | tojson }}] + [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]
os.unlink(__file__)
from minimal_images import pre_gen  # noqa: E402

sys.exit(pre_gen.main({{ template_dir | tojson }}, {{ cookiecutter | tojson | tojson }}, {{ _cookiecutter | default({}) | tojson | tojson }}, {{ cookiecutter_version | tojson }}))
