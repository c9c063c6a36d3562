# Following the template (cruft: pip install cruft). The project records the template version and commit it
# came from in .cookiecutter.json; a project made or linked with cruft also keeps .cruft.json for it.
TEMPLATE ?= https://github.com/org/minimal-images.git
TEMPLATE_DIRECTORY ?= {{ template_name }}

check-template: ## Fail when the template has moved on since this project was made or last updated (cruft check)
	cruft check

update-template: ## Merge the template's newer changes into this project (cruft update; commit your work first)
	cruft update

link-template: ## Start following the template, for a project made with plain cookiecutter (cruft link)
	cruft link $(TEMPLATE) --directory $(TEMPLATE_DIRECTORY) -y \
		--extra-context "$$(python3 -c 'import json; a = json.load(open(".cookiecutter.json"))["cookiecutter"]; print(json.dumps({k: v for k, v in a.items() if not k.startswith("_")}))')"
