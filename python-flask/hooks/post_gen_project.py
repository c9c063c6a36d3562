"""Removes the files of options not chosen, checks the result and prints the next steps."""

import sys

sys.path.insert(0, {{ shared_hooks_dir | tojson }})
from minimal_images import post_gen  # noqa: E402

sys.exit(post_gen.main({{ template_dir | tojson }}, {{ cookiecutter | tojson | tojson }}))
