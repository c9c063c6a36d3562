"""The rule tables themselves: they agree with the templates and say what Go and DNS say."""

import pytest
from conftest import DEFAULT_SLUGS, template_options
from minimal_images import validate
from minimal_images.rules import TEMPLATES


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_option_of_the_template_has_a_rule_and_every_rule_an_option(template):
    rules = {rule.name for rule in TEMPLATES[template].fields}
    assert rules == set(template_options(template)) - {"__prompts__"}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_choice_rules_list_exactly_the_menu_choices(template):
    options = template_options(template)
    for rule in TEMPLATES[template].fields:
        if isinstance(options[rule.name], list):
            assert list(rule.choices) == options[rule.name]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_requirements_name_fields_and_values_that_exist(template):
    options = template_options(template)
    for requirement in TEMPLATES[template].requirements:
        assert requirement.when_value in options[requirement.when_field]
        assert set(requirement.allowed) <= set(options[requirement.field])


@pytest.mark.parametrize(
    ("slug", "accepted"),
    [
        ("a", True),
        ("web-api-2", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("2fast", False),
        ("-a", False),
        ("a-", False),
        ("a--b", False),
        ("A", False),
        ("a_b", False),
        ("a.b", False),
        ("", False),
    ],
)
def test_project_slug_is_a_dns_label_that_starts_with_a_letter(slug, accepted):
    rule = next(r for r in TEMPLATES["go-gin"].fields if r.name == "project_slug")
    assert (validate.field_problem(rule, slug) is None) is accepted


@pytest.mark.parametrize(
    ("port", "accepted"),
    [("1024", True), ("65535", True), ("1023", False), ("65536", False), ("08080", False), ("80a", False)],
)
def test_port_is_an_unprivileged_tcp_port(port, accepted):
    rule = next(r for r in TEMPLATES["python-flask"].fields if r.name == "port")
    assert (validate.field_problem(rule, port) is None) is accepted


def test_a_message_names_the_field_the_value_and_what_is_accepted():
    rule = next(r for r in TEMPLATES["go-gin"].fields if r.name == "port")
    message = validate.field_problem(rule, "80")
    assert message.startswith('port: "80" ')
    assert "accepted: an integer from 1024 to 65535" in message


def test_a_message_shows_a_newline_in_the_value_instead_of_breaking_the_line():
    rule = next(r for r in TEMPLATES["go-gin"].fields if r.name == "project_name")
    message = validate.field_problem(rule, "two\nlines")
    assert "\n" not in message
    assert '"two\\nlines"' in message


def test_requirement_refuses_a_python_the_runtime_cannot_run():
    answers = {"runtime": "distroless", "python_version": "3.12"}
    (message,) = [m for m in validate.problems("python-flask", answers) if m.startswith("python_version")]
    assert 'cannot go with runtime "distroless"' in message
    assert "accepted with it: 3.13" in message


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_the_defaults_pass_every_rule(template):
    defaults = {
        "go-gin": {"project_slug": DEFAULT_SLUGS["go-gin"], "module_path": f"example.com/{DEFAULT_SLUGS['go-gin']}"},
        "python-flask": {"project_slug": DEFAULT_SLUGS["python-flask"]},
    }[template]
    answers = {k: (v[0] if isinstance(v, list) else v) for k, v in template_options(template).items()}
    answers.update(defaults)
    assert validate.problems(template, answers) == []
    assert validate.cautions(template, answers) == []


def test_an_ephemeral_port_is_a_caution_not_an_error():
    answers = {"port": "50000"}
    assert any(c.startswith('port: "50000"') for c in validate.cautions("python-flask", answers))


@pytest.mark.parametrize(
    ("version", "accepted"), [("2.7.1", True), ("2.7.0", True), ("3.0.0", True), ("2.6.0", False), ("2.5.0", False)]
)
def test_cookiecutter_older_than_2_7_is_refused_by_name(version, accepted):
    problem = validate.cookiecutter_version_problem(version)
    assert (problem is None) is accepted
    if problem:
        assert problem.startswith(f"cookiecutter {version} is too old; accepted: 2.7 or newer")
