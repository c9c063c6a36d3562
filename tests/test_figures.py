"""A figure is measured once, by the benchmark, and quoted from there.

Sizes and ratios are read where a reader meets them: the chooser's descriptions (cookiecutter.json), every
generated project's README and Dockerfile comments (rendered for each runtime), and the repository's
README. Each figure found there must be claimed by one rule below: either a quote of a measurement, which must be
within 5% of benchmarks/results.json (read at test time, so a new benchmark run shows which quotes it made stale),
or a figure from another source, named with the reason. A figure that no rule claims fails the test too: a new
number has to say where it comes from.
"""

import json
import re
from dataclasses import dataclass

import pytest
from conftest import REPO, load_benchmark
from minimal_images.rules import TEMPLATES

TOLERANCE = 0.05
MB = 1000**2
# A size (with its unit) or a ratio such as 0.41x; "2 x CPUs" is not a ratio.
GO_SEED = "go-multi-stage.Dockerfile"
PYTHON_SEED = "python-multi-stage.Dockerfile"
FIGURE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?: ?(?:KB|MB|GB)\b|x\b)")
# The blog post the seed's Dockerfiles come from published these; they may be quoted, labelled as the blog's.
BLOG_FIGURES = ("15.3", "84.5", "274")


def results():
    return json.loads((REPO / "benchmarks" / "results.json").read_text(encoding="utf-8"))


def measured_mb(template, runtime=None, seed=None):
    """The size in MB the latest benchmark measured for a template's runtime, or for a seed Dockerfile."""
    for image in results()["images"]:
        seed_name = image["seed_dockerfile"] and image["seed_dockerfile"].rsplit("/", 1)[1]
        if image["template"] == template and (image["runtime"], seed_name) == (runtime, seed):
            return image["size_bytes"] / MB
    raise LookupError(f"benchmarks/results.json has no image for {template} {runtime or seed}")


@dataclass(frozen=True)
class Measured:
    """A quoted measurement: the number in the pattern's group n must be within TOLERANCE of the benchmark's."""

    pattern: str
    template: str
    runtime: str | None = None
    seed: str | None = None
    only_in: str | None = None  # a rendered runtime this rule applies to; None: everywhere

    def expected(self):
        return measured_mb(self.template, self.runtime, self.seed)


@dataclass(frozen=True)
class Elsewhere:
    """Figures in the pattern's whole match that come from another source than the benchmark."""

    pattern: str
    reason: str
    only_in: str | None = None


BLOG_FIGURE = r"\b(?:" + "|".join(map(re.escape, BLOG_FIGURES)) + r") MB"
# "the blog's 274 MB", or "84.5 MB (the blog's figure)": the label and the figure in one line or table cell.
BLOG = Elsewhere(
    r"\bblog's\b[^\n|\d]*" + BLOG_FIGURE + "|" + BLOG_FIGURE + r"(?=[^\n|]*\bblog's\b)",
    "the blog's published figure, labelled as the blog's",
)
BUDGET = Elsewhere(
    r"SIZE_BUDGET_MB`? \([\d.]+ MB", "a size budget: scripts/size_budgets.py, checked by test_size_budgets"
)

# The README's statement of benchmarks/run.py's MAX_STARTUP_RATIOS
STARTUP_LIMITS = (
    r"scratch starts slower than\s+(?P<scratch>[\d.]+)x the seed's multi-stage image"
    r" or distroless slower than\s+(?P<distroless>[\d.]+)x"
)
# The README's statement of benchmarks/run.py's MAX_COLD_BUILD_RATIOS (one limit, the same for every Python runtime)
COLD_BUILD_LIMIT = r"cold build as a ratio to the seed's multi-stage one and\s+fails above (?P<limit>[\d.]+)x"

# The README's statement of benchmarks/run.py's MAX_DEFAULT_SIZE_RATIOS
SIZE_LIMITS = (
    r"default image is larger than\s+(?P<go_gin>[\d.]+)x\s+\(go-gin\)\s+or\s+(?P<python_flask>[\d.]+)x"
    r"\s+\(python-flask\) the seed's multi-stage image"
)

# Rules in order: a figure claimed by an earlier rule is not looked at again.
RULES = {
    "chooser": [
        Measured(r"~(?P<n>[\d.]+) MB scratch", "go-gin", runtime="scratch"),
    ],
    "go-gin": [
        BUDGET,
        Measured(r"image of about (?P<n>[\d.]+) MB", "go-gin", runtime="scratch", only_in="scratch"),
        Measured(r"on `scratch` \| (?P<n>[\d.]+) MB", "go-gin", runtime="scratch", only_in="scratch"),
        Elsewhere(
            r"image of about \d+ MB|distroless `static-debian13` \(about [\d.]+ MB\) \| about \d+ MB",
            "the official distroless base's size (scripts/size_budgets.py) and the image on it, which the "
            "benchmark cannot measure without a registry",
            only_in="distroless",
        ),
        Measured(r"Single-stage image[^|]*\| over (?P<n>\d+) MB", "go-gin", seed="go-single-stage.Dockerfile"),
        Measured(r"`scratch` with a plain `go build` binary \| (?P<n>[\d.]+) MB", "go-gin", seed=GO_SEED),
        # The seed's scratch image is its binary alone, so its size is the binary's.
        Measured(r"instead of (?P<n>[\d.]+) MB", "go-gin", seed=GO_SEED),
        Elsewhere(
            r"This service's binary[^|]*\| [\d.]+ MB|A static binary of [\d.]+ MB"
            r"|^#\s+(?:go build|-\S+)[^\n]*",
            "a binary's size, measured with go build for the Dockerfile's flag table; the benchmark measures images",
        ),
    ],
    "python-flask": [
        BLOG,
        BUDGET,
        Measured(r"The seed's multi-stage image[^|]*\| (?P<n>[\d.]+) MB", "python-flask", seed=PYTHON_SEED),
        Measured(r"\((?P<n>[\d.]+) MB on a [\d.]+ MB base\)", "python-flask", runtime="distroless"),
        Measured(r"scratch runtime \| (?P<n>[\d.]+) MB in all", "python-flask", runtime="scratch"),
        Elsewhere(
            r"base \+ [\d.]+ MB|on a [\d.]+ MB base",
            "what the template adds to its base, and the stand-in base's size: results.json records whole images",
        ),
    ],
    "README": [
        BLOG,
        Elsewhere(
            r"^\| (?:go-gin|python-flask) \w+ \|(?: [\d.]+ MB \|){3}$",
            "the size-budget table: scripts/size_budgets.py, checked by test_size_budgets",
        ),
        Elsewhere(r"of the same size \(\d+ MB\)", "the stand-in base's size (scripts/base_images.py)"),
        Elsewhere(STARTUP_LIMITS, "the start-up limits make bench enforces (benchmarks/run.py), checked below"),
        Elsewhere(COLD_BUILD_LIMIT, "the cold-build limit make bench enforces (benchmarks/run.py), checked below"),
        Elsewhere(SIZE_LIMITS, "the default images' size limits in benchmarks/run.py, checked below"),
        Measured(r"hence (?P<n>\d+) MB against", "python-flask", seed="python-single-stage.Dockerfile"),
        Elsewhere(
            r"The official\s+bases differ from their stand-ins.*?python-flask slim about \d+ MB\.",
            "official bases' sizes (scripts/size_budgets.py) and the images estimated on them",
        ),
    ],
}


@pytest.fixture(scope="module")
def texts(bake_once):
    """(rule set, rendered runtime, label, text) for every place a figure is quoted."""
    found = []
    chooser = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    for name, entry in chooser["templates"].items():
        found.append(("chooser", None, f"cookiecutter.json: {name}", entry["description"]))
    for template in sorted(TEMPLATES):
        runtimes = next(field.choices for field in TEMPLATES[template].fields if field.name == "runtime")
        for runtime in runtimes:
            result = bake_once(template, runtime=runtime, workshop="yes")
            assert result.exit_code == 0, result.exception
            files = ["README.md", "Dockerfile"]
            for name in files:
                text = (result.project_path / name).read_text(encoding="utf-8")
                found.append((template, runtime, f"{template} {runtime}: {name}", text))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    benchmark_table = (REPO / "benchmarks" / "results.md").read_text(encoding="utf-8").splitlines()
    benchmark_rows = {line for line in benchmark_table if line.startswith("|")}
    # The benchmark's own table is checked word for word against results.md by test_readme.
    readme = "\n".join("" if line in benchmark_rows else line for line in readme.splitlines())
    found.append(("README", None, "README.md", readme))
    return found


def claims(rule_set, runtime, text):
    """[(rule, match)] for each rule that applies, each figure claimed by the first rule that reaches it."""
    claimed, taken = [], set()
    for rule in RULES[rule_set]:
        if rule.only_in not in (None, runtime):
            continue
        for match in re.finditer(rule.pattern, text, flags=re.MULTILINE | re.DOTALL):
            span = match.span("n") if isinstance(rule, Measured) else match.span()
            if not taken & set(range(*span)):
                claimed.append((rule, match))
                taken |= set(range(*span))
    return claimed, taken


def test_every_quoted_measurement_is_within_5_percent_of_the_latest_benchmark(texts):
    stale = []
    for rule_set, runtime, label, text in texts:
        for rule, match in claims(rule_set, runtime, text)[0]:
            if isinstance(rule, Measured):
                quoted, expected = float(match.group("n")), rule.expected()
                if abs(quoted - expected) > TOLERANCE * expected:
                    stale.append(f"{label}: {match.group(0)!r} quotes {quoted:g} MB, measured {expected:.1f} MB")
    assert not stale, "quoted figures that drifted from benchmarks/results.json:\n" + "\n".join(stale)


def test_every_figure_comes_from_the_benchmark_or_a_named_source(texts):
    unclaimed = []
    for rule_set, runtime, label, text in texts:
        taken = claims(rule_set, runtime, text)[1]
        for figure in FIGURE.finditer(text):
            if figure.start() not in taken:
                line = text[text.rfind("\n", 0, figure.start()) + 1 : text.find("\n", figure.end())]
                unclaimed.append(f"{label}: {figure.group(0)!r} in {line.strip()[:100]!r}")
    assert not unclaimed, "figures no rule claims:\n" + "\n".join(unclaimed)


def test_every_measured_rule_still_finds_its_quote(texts):
    used = {
        rule
        for rule_set, runtime, _, text in texts
        for rule, _ in claims(rule_set, runtime, text)[0]
        if isinstance(rule, Measured)
    }
    measured = [rule for rules in RULES.values() for rule in rules if isinstance(rule, Measured)]
    assert [rule.pattern for rule in measured if rule not in used] == []


@pytest.mark.parametrize(
    ("text", "figures"),
    [("8.90 MB (0.41x), 2 x CPUs, -22 KB", ["8.90 MB", "0.41x", "22 KB"]), ("SIZE_BUDGET_MB v1.2", [])],
)
def test_figures_are_sizes_and_ratios(text, figures):
    assert [match.group(0) for match in FIGURE.finditer(text)] == figures


def test_the_readme_states_the_start_up_limits_the_benchmark_enforces():
    bench = load_benchmark()
    quoted = re.search(STARTUP_LIMITS, (REPO / "README.md").read_text(encoding="utf-8"))
    assert quoted, "the README no longer states the start-up limits"
    assert {runtime: float(quoted.group(runtime)) for runtime in ("scratch", "distroless")} == {
        runtime: limit for (_, runtime), limit in bench.MAX_STARTUP_RATIOS.items()
    }


def test_the_readme_states_the_cold_build_limit_the_benchmark_enforces():
    bench = load_benchmark()
    quoted = re.search(COLD_BUILD_LIMIT, (REPO / "README.md").read_text(encoding="utf-8"))
    assert quoted, "the README no longer states the cold-build limit"
    assert set(bench.MAX_COLD_BUILD_RATIOS.values()) == {float(quoted.group("limit"))}


def test_the_readme_states_the_default_size_limits_the_benchmark_enforces():
    bench = load_benchmark()
    quoted = re.search(SIZE_LIMITS, (REPO / "README.md").read_text(encoding="utf-8"))
    assert quoted, "the README no longer states the default images' size limits"
    assert {template: float(quoted.group(template.replace("-", "_"))) for template in TEMPLATES} == (
        bench.MAX_DEFAULT_SIZE_RATIOS
    )
