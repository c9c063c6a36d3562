"""Checks what this run wrote, saves the answers and prints the next steps."""

import os
import sys

# As in the pre-generation hook: $TMPDIR off sys.path, and this copy of the answers deleted.
sys.path[:] = [{{ shared_hooks_dir | tojson }}] + [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]
os.unlink(__file__)
from minimal_images import post_gen  # noqa: E402

sys.exit(post_gen.main({{ template_dir | tojson }}, {{ cookiecutter | tojson | tojson }}))
