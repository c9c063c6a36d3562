verify-repro: ## Build the image twice without the layer cache; fail unless the layers are identical
	@for build in 1 2; do \
		$(DOCKER) build --no-cache $(STAMP_ARGS) $(OPTION_ARGS) $(BUILD_ARGS) --tag $(IMAGE)-repro$$build . >&2 || exit 1; \
	done
	@first="$$($(LAYERS_OF) $(IMAGE)-repro1)" && second="$$($(LAYERS_OF) $(IMAGE)-repro2)" \
	&& awk -v first="$$first" -v second="$$second" 'BEGIN { \
		n = split(first, a, " "); m = split(second, b, " "); count = n > m ? n : m; differ = 0; \
		printf "%-5s  %-71s  %-71s\n", "layer", "first build", "second build"; \
		for (i = 1; i <= count; i++) { \
			verdict = a[i] == b[i] ? "" : "  differs"; differ += verdict != ""; \
			printf "%-5d  %-71s  %-71s%s\n", i, a[i], b[i], verdict }; \
		if (differ) { printf "%d of %d layers differ: the build is not reproducible.\n", differ, count; exit 1 } \
		printf "All %d layers are identical: the build is reproducible.\n", count }'
