# Entry points for the repository itself (a generated project has a Makefile of its own).
# Needs only Python 3 and make: everything else goes into .venv.

PYTHON ?= python3
VENV := .venv
# Debian's own docker client does BuildKit builds without the buildx plugin; prefer it where it exists.
DOCKER ?= $(if $(wildcard /usr/bin/docker),/usr/bin/docker,docker)
export DOCKER
PYTEST_ARGS ?=
# Where `make new` writes the project: beside this clone, not inside it.
OUTPUT_DIR ?= ..

.PHONY: help new test test-fast lint lock bench base-images clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r tests/requirements.txt
	touch $@

new: $(VENV)/installed ## Generate a project beside this clone (OUTPUT_DIR=...): asks which template, then its options
	$(VENV)/bin/cookiecutter . --output-dir $(OUTPUT_DIR)

test: $(VENV)/installed ## The whole suite, image builds included
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: $(VENV)/installed ## The suite without the image tests
	$(VENV)/bin/pytest -m "not image" $(PYTEST_ARGS)

# One cache, here: left to itself, ruff writes one beside the template's pyproject.toml, and every bake copies it.
lint: $(VENV)/installed ## ruff over the hooks, tests, scripts and benchmarks
	$(VENV)/bin/ruff check --cache-dir .ruff_cache hooks tests scripts benchmarks go-gin python-flask

lock: $(VENV)/installed ## Recompile tests/requirements.txt from tests/requirements.in, with hashes (uv, from the suite's venv)
	cd tests && ../$(VENV)/bin/uv pip compile --quiet --python $(PYTHON) --generate-hashes --custom-compile-command "make lock" \
		--no-emit-index-url requirements.in -o requirements.txt

bench: $(VENV)/installed ## Measure our images against the seed's; writes benchmarks/results.{md,json}
	$(VENV)/bin/python benchmarks/run.py

base-images: ## Make the local stand-ins for the official base images (where no registry answers)
	$(PYTHON) scripts/base_images.py ensure-all

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
