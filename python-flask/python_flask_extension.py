"""Cookiecutter imports this from the template folder: it connects the template to the shared hooks/ library."""

import sys
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TEMPLATE_DIR.parent / "hooks"))

from minimal_images.jinja import extension_for  # noqa: E402

SharedHooks = extension_for(TEMPLATE_DIR)
