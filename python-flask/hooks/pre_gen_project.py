"""Checks every answer before a file is written; the rules live in the repository's hooks/ library."""

import sys

sys.path.insert(0, {{ shared_hooks_dir | tojson }})
from minimal_images import pre_gen  # noqa: E402

sys.exit(pre_gen.main({{ template_dir | tojson }}, {{ cookiecutter | tojson | tojson }}, {{ _cookiecutter | tojson | tojson }}))
