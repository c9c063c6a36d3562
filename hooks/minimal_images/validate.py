"""Applies the rule tables to a set of answers: every problem at once, one line each."""

import json
import re
import unicodedata

from .rules import JINJA_MARKERS, MIN_COOKIECUTTER, TEMPLATES

# Longer values are cut in messages: the line must stay one readable line.
SHOWN_CHARACTERS = 60
# Unicode categories that print as nothing or reorder the text around them: control, format (zero-width and
# bidirectional marks), private-use, surrogate, unassigned, and line or paragraph separators.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _visible(character):
    category = unicodedata.category(character)
    if category in INVISIBLE_CATEGORIES or (category == "Zs" and character != " "):
        return f"\\u{ord(character):04x}" if ord(character) <= 0xFFFF else f"\\U{ord(character):08x}"
    return character


def shown(value):
    """A value as the user should see it in a one-line message: quoted, invisible characters escaped, shortened."""
    text = value if isinstance(value, str) else str(value)
    suffix = ""
    if len(text) > SHOWN_CHARACTERS:
        suffix = f"... ({len(text)} characters)"
        text = text[: SHOWN_CHARACTERS - 20]
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(map(_visible, quoted)) + suffix


def field_problem(rule, value):
    """Why one answer breaks its field's rule, as the 'field: value ...; accepted: ...' line, or None."""
    text = str(value)
    reason = None
    if rule.boolean and not isinstance(value, bool):
        reason = "is not a boolean (a string where a replay or config file needs true or false?)"
    elif rule.choices and text not in rule.choices:
        reason = "is not one of the choices"
    elif rule.pattern and not re.fullmatch(rule.pattern, text):
        reason = "is not accepted"
    elif rule.minimum is not None and not rule.minimum <= int(text) <= rule.maximum:
        reason = "is out of range"
    elif rule.check:
        problem = rule.check(text)
        reason = f"is not accepted: {problem}" if problem else None
    if reason is None:
        return None
    return f"{rule.name}: {shown(value)} {reason}; accepted: {rule.accepted}"


def jinja_problem(name, raw, default):
    """A value given with Jinja syntax was evaluated by cookiecutter before any hook ran: refuse it."""
    if isinstance(raw, str) and raw != default and any(marker in raw for marker in JINJA_MARKERS):
        return f"{name}: {shown(raw)} contains Jinja syntax, which cookiecutter would evaluate; accepted: plain text"
    return None


def requirement_problem(requirement, answers):
    if str(answers.get(requirement.when_field)) != requirement.when_value:
        return None
    value = answers.get(requirement.field)
    if str(value) in requirement.allowed:
        return None
    return (
        f"{requirement.field}: {shown(value)} cannot go with {requirement.when_field} "
        f"{shown(requirement.when_value)}; accepted with it: {', '.join(requirement.allowed)} ({requirement.why})"
    )


def answer_problem(template_name, name, value):
    """Why one answer breaks its field's own rule (the message line), or None; for asking again at once."""
    template = TEMPLATES.get(template_name)
    rule = next((rule for rule in template.fields if rule.name == name), None) if template else None
    return field_problem(rule, value) if rule else None


def choices_allowed(template_name, name, earlier_answers, options):
    """A menu's options less those that cannot go with the earlier answers (all of them if none would remain)."""
    template = TEMPLATES.get(template_name)
    allowed = list(options)
    for requirement in template.requirements if template else ():
        if requirement.field == name and str(earlier_answers.get(requirement.when_field)) == requirement.when_value:
            allowed = [option for option in allowed if str(option) in requirement.allowed]
    return allowed or list(options)


def problems(template_name, answers, raw_answers=None, defaults=None):
    """Every problem with these answers, one message each, in the template's field order."""
    template = TEMPLATES[template_name]
    raw_answers = raw_answers or {}
    defaults = defaults or {}
    found = []
    for rule in template.fields:
        if rule.name not in answers:
            found.append(f"{rule.name}: no value given; accepted: {rule.accepted}")
            continue
        found.append(
            jinja_problem(rule.name, raw_answers.get(rule.name), defaults.get(rule.name))
            or field_problem(rule, answers[rule.name])
        )
    found.extend(requirement_problem(requirement, answers) for requirement in template.requirements)
    return [problem for problem in found if problem]


def refusals(template_name, answers, raw_answers, defaults, cookiecutter_version):
    """Everything that stops generation: the answers' problems, then a too old cookiecutter."""
    found = problems(template_name, answers, raw_answers, defaults)
    return found + list(filter(None, [cookiecutter_version_problem(cookiecutter_version)]))


def cautions(template_name, answers):
    """Warnings for accepted but unwise values (a value that is refused gets its error alone)."""
    template = TEMPLATES[template_name]
    return [
        f"{caution.field}: {shown(answers[caution.field])} {caution.advice}"
        for caution in template.cautions
        if caution.field in answers
        and answer_problem(template_name, caution.field, answers[caution.field]) is None
        and caution.applies(answers[caution.field])
    ]


def cookiecutter_version_problem(version):
    """A message when the running cookiecutter is older than the templates need, else None."""
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if numbers >= MIN_COOKIECUTTER:
        return None
    needed = ".".join(map(str, MIN_COOKIECUTTER))
    return f"cookiecutter {version} is too old; accepted: {needed} or newer (pip install -U cookiecutter)"
