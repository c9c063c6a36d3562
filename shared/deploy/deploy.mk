
# Kubernetes: deploy/kubernetes is a kustomization (kubectl apply -k deploy/kubernetes).
KUSTOMIZE ?= $(if $(shell command -v kubectl 2>/dev/null),kubectl kustomize,$(if $(shell command -v kustomize 2>/dev/null),kustomize build))
KUBERNETES_VALIDATE ?= kubernetes-validate
KUBE_SCORE ?= kube-score

.PHONY: k8s deploy-check

k8s: ## Print the manifests as kubectl apply -k deploy/kubernetes would apply them
	@test -n "$(KUSTOMIZE)" || { echo "make k8s: needs kubectl or kustomize (https://kubernetes.io/docs/tasks/tools/)" >&2; exit 1; }
	@$(KUSTOMIZE) deploy/kubernetes

# Each checker that is installed runs; a missing one is named with its install command, and none at all fails.
deploy-check: ## Validate the manifests offline: API schemas (kubernetes-validate), practice (kube-score)
	@set -e; rendered=$$(mktemp); trap 'rm -f "$$rendered"' EXIT; \
	$(MAKE) --no-print-directory k8s > "$$rendered"; checked=0; \
	if command -v $(KUBERNETES_VALIDATE) >/dev/null; then \
		$(KUBERNETES_VALIDATE) --strict --quiet "$$rendered"; checked=$$((checked + 1)); \
	else echo "deploy-check: schema check skipped: $(KUBERNETES_VALIDATE) not found (pipx install kubernetes-validate)" >&2; fi; \
	if command -v $(KUBE_SCORE) >/dev/null; then \
		$(KUBE_SCORE) score "$$rendered"; checked=$$((checked + 1)); \
	else echo "deploy-check: kube-score skipped: $(KUBE_SCORE) not found (go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0)" >&2; fi; \
	test $$checked -gt 0 || { echo "deploy-check: nothing was checked: install kubernetes-validate or kube-score" >&2; exit 1; }
