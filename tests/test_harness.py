"""The test harness and the post-generation checks guard what they claim to guard."""

import pytest
from minimal_images.post_gen import load_answers, unrendered_files


def test_bake_refuses_an_option_the_template_does_not_define(bake):
    with pytest.raises(pytest.UsageError, match="defines no option prot"):
        bake("go-gin", prot="9090")


@pytest.mark.parametrize("leftover", ["{{ cookiecutter.port }}", "{{cookiecutter.port}}", "{% if x %}"])
def test_leftover_template_syntax_is_found(tmp_path, leftover):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_text(f"EXPOSE {leftover}\n")
    (tmp_path / "clean.txt").write_text("GitHub keeps ${{ github.sha }} and Go keeps {{.Size}}\n")
    assert [str(path) for path in unrendered_files(tmp_path)] == ["sub/Dockerfile"]


@pytest.mark.parametrize("template", ["go-gin", "python-flask"])
def test_saved_answers_hold_no_paths_of_the_generating_machine(bake, template):
    saved = load_answers(bake(template).project_path)
    assert not {"_output_dir", "_repo_dir", "_checkout"} & set(saved)
    assert saved["runtime"] in ("scratch", "distroless")
