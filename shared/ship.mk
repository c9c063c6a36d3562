# make sbom and make scan read the image from a `docker save` archive, so they work with any client (podman too).
SYFT ?= syft
TRIVY ?= trivy
GRYPE ?= grype
SBOM ?= sbom.spdx.json
SAVE_IMAGE = archive=$$(mktemp) && trap 'rm -f "$$archive"' EXIT && $(DOCKER) save -o "$$archive" $(IMAGE)
.PHONY: sbom scan

sbom: ## Write the SBOM (SPDX JSON) of the built image to $(SBOM), with syft
	@command -v $(SYFT) >/dev/null || { echo "make sbom needs syft: go install github.com/anchore/syft/cmd/syft@v1.57.1 (see the README)" >&2; exit 1; }
	@$(SAVE_IMAGE) && SYFT_CHECK_FOR_APP_UPDATE=false $(SYFT) scan --quiet "docker-archive:$$archive" --output spdx-json=$(SBOM)
	@echo "$(SBOM): the SBOM of $(IMAGE)"

scan: ## Scan the built image with Trivy or Grype; fail on HIGH or CRITICAL findings that have a fix
	@if command -v $(TRIVY) >/dev/null; then \
		$(SAVE_IMAGE) && $(TRIVY) image --input "$$archive" --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1; \
	elif command -v $(GRYPE) >/dev/null; then \
		$(SAVE_IMAGE) && $(GRYPE) "docker-archive:$$archive" --only-fixed --fail-on high; \
	else \
		echo "make scan needs Trivy (https://trivy.dev) or Grype (https://github.com/anchore/grype), for example brew install trivy" >&2; \
		exit 1; \
	fi
