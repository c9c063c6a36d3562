{%- set go = template_name == "go-gin" -%}
# The lesson (WORKSHOP.md). Every base image the lesson and the image start from is a variable here, given to
# each step as a build argument and saved by `make kit`: a mirror's names can replace them, and on a machine
# with no registry the copies `make load-kit` put in the engine are used as they are.
{%- if go %}
BUILDER_IMAGE ?= golang:{{ cookiecutter.go_version }}
SLIM_IMAGE ?= debian:13-slim
{%- if cookiecutter.runtime == "distroless" %}
RUNTIME_IMAGE ?= gcr.io/distroless/static-debian13:nonroot
LESSON_BASES = BUILDER_IMAGE SLIM_IMAGE RUNTIME_IMAGE
{%- else %}
LESSON_BASES = BUILDER_IMAGE SLIM_IMAGE
{%- endif %}
{%- else %}
PYTHON_IMAGE ?= python:{{ cookiecutter.python_version }}
SLIM_IMAGE ?= python:{{ cookiecutter.python_version }}-slim
UV_IMAGE ?= ghcr.io/astral-sh/uv:0.13.8
{%- if cookiecutter.runtime == "slim" %}
BUILDER_IMAGE ?= $(SLIM_IMAGE)
RUNTIME_IMAGE ?= $(SLIM_IMAGE)
LESSON_BASES = PYTHON_IMAGE SLIM_IMAGE UV_IMAGE BUILDER_IMAGE RUNTIME_IMAGE
{%- else %}
BUILDER_IMAGE ?= debian:13-slim
DISTROLESS_IMAGE ?= gcr.io/distroless/python3-debian13:nonroot
{%- if cookiecutter.runtime == "distroless" %}
RUNTIME_IMAGE ?= $(DISTROLESS_IMAGE)
LESSON_BASES = PYTHON_IMAGE SLIM_IMAGE UV_IMAGE BUILDER_IMAGE DISTROLESS_IMAGE RUNTIME_IMAGE
{%- else %}
LESSON_BASES = PYTHON_IMAGE SLIM_IMAGE UV_IMAGE BUILDER_IMAGE DISTROLESS_IMAGE
{%- endif %}
{%- endif %}
{%- endif %}
LESSON_ARGS = $(foreach base,$(LESSON_BASES),--build-arg $(base)=$($(base)))
KIT_IMAGES = $(sort $(foreach base,$(LESSON_BASES),$($(base))))
LESSON_IMAGE ?= {{ cookiecutter.project_slug }}-lesson
KIT ?= workshop-kit.tar
STEP ?=
{%- if go %}
UPX ?=
{%- endif %}

lesson: ## Build every step of the lesson and print its table (WORKSHOP.md); STEP=N builds step N alone{% if go %}, UPX=1 adds upx{% endif %}
	@DOCKER='$(DOCKER)' IMAGE='$(IMAGE)' LESSON_IMAGE='$(LESSON_IMAGE)' PORT='$(PORT)' STEP='$(STEP)'{% if go %} UPX='$(UPX)'{% endif %} \
		sh lesson/run.sh $(LESSON_ARGS) $(STAMP_ARGS) $(BUILD_ARGS)

kit: ## Save the base images of the lesson and the image into $(KIT), pulling any the engine lacks
	@for image in $(KIT_IMAGES); do \
		$(DOCKER) image inspect $$image >/dev/null 2>&1 || $(DOCKER) pull $$image || exit 1; \
	done
	$(DOCKER) save --output $(KIT) $(KIT_IMAGES)
	@echo "$(KIT): $(words $(KIT_IMAGES)) images ($(KIT_IMAGES)); on each machine: make load-kit"

load-kit: ## Load $(KIT)'s base images into the engine: no registry needed afterwards
	$(DOCKER) load --input $(KIT)
