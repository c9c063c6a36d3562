"""The README stays true to the rule tables: every option with its accepted values."""

import re

import pytest
from conftest import REPO
from minimal_images.rules import TEMPLATES

README = (REPO / "README.md").read_text(encoding="utf-8")


def options_section(template):
    """The README's options table for one template: from its heading to the next heading."""
    match = re.search(rf"^### {re.escape(template)}\n(.*?)(?=^#)", README, flags=re.MULTILINE | re.DOTALL)
    assert match, f"README has no section for {template}"
    return match.group(1)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_readme_lists_every_option_with_its_accepted_values(template):
    section = options_section(template)
    for rule in TEMPLATES[template].fields:
        row = next((line for line in section.splitlines() if line.startswith(f"| `{rule.name}` |")), None)
        assert row, f"README's {template} table has no row for {rule.name}"
        assert rule.accepted in row


def test_readme_names_the_two_set_up_commands():
    first_screen = "\n".join(README.splitlines()[:15])
    assert "make new" in first_screen
    assert "make test" in first_screen


def test_readme_quotes_the_latest_benchmark_table():
    results = (REPO / "benchmarks" / "results.md").read_text(encoding="utf-8")
    table = [line for line in results.splitlines() if line.startswith("|")]
    assert table, "benchmarks/results.md holds no table"
    for line in table:
        assert line in README, f"README's size table is older than benchmarks/results.md: {line}"
    assert "make bench" in README
