"""The module path check says yes exactly where the Go toolchain does: `go mod init PATH` and `go build` succeed."""

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minimal_images.go_module_path import go_module_path_problem

# Tricky paths: major-version suffixes, dots, tildes, plus signs, Windows names, gopkg.in forms, reserved names.
TRICKY_PATHS = [
    "example.com/service",
    "github.com/org/repo",
    "gitlab.example.co.uk/a/b/c",
    "example.com",
    "example.com/x/v2",
    "example.com/x/v10",
    "example.com/x/v1",
    "example.com/x/v0",
    "example.com/x/v02",
    "example.com/x/v2.0",
    "example.com/x/v2.v3",
    "example.com/v2",
    "v2",
    "x/V2",
    "example.com/x/v2/y",
    "example.com/-svc",
    "x/-y/z",
    "example.com/x-/-y",
    "example.com/svc-",
    "-example.com/x",
    "example.com/a~b",
    "example.com/a~1",
    "example.com/abc~12",
    "x/z~12a",
    "x/a~1.txt",
    "example.com/~x",
    "x/~a/z",
    "~x/y",
    "example.com/x~",
    "a~/b",
    "example.com/~",
    "example.com/con",
    "example.com/LPT1.txt",
    "example.com/nul.x",
    "example.com/COM1",
    "example.com/com0",
    "example.com/.hidden",
    ".x/y",
    "x/.y",
    "example.com/x.",
    "example.com/..",
    "example.com/...",
    "x/.",
    "example.com/./x",
    "example.com/../x",
    "example.com//x",
    "example.com/x/",
    "/example.com/x",
    "",
    "gopkg.in/yaml.v3",
    "gopkg.in/yaml",
    "gopkg.in/yaml.v1",
    "gopkg.in/yaml.v0",
    "gopkg.in/yaml.v01",
    "gopkg.in/user/pkg.v2",
    "gopkg.in/yaml.v3/sub",
    "gopkg.in/v2",
    "gopkg.in/yaml.v3.1",
    "service",
    "my_service",
    "MyService",
    "Example.com/x",
    "exa_mple.com/x",
    "localhost/x",
    "example/v2",
    "a.b",
    "x..y",
    "_x/y",
    "x/_",
    "main",
    "test",
    "local",
    "go/x",
    "x/go",
    "go",
    "toolchain",
    "std",
    "cmd",
    "all",
    "tool",
    "work",
    "example.com/x+y",
    "x/+y",
    "+x",
    "x/.+",
    "example.com/x y",
    "example.com/ünicode",
    "example.com/x@v1",
    "x:y",
    "example.com/x!",
    "example.com/x,y",
    "example.com/x%y",
    "example.com/x/vendor/y",
]
GO = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)


def toolchain_accepts(path):
    """Whether `go mod init PATH` and then `go build` succeed for a one-file main package."""
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="", GO111MODULE="on")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "main.go").write_text("package main\n\nfunc main() {}\n")
        for command in (["mod", "init", "--", path], ["build", "-o", os.devnull, "."]):
            if subprocess.run([GO, *command], cwd=folder, env=env, capture_output=True).returncode != 0:
                return False
    return True


def disagreements(paths):
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = dict(zip(paths, pool.map(toolchain_accepts, paths), strict=True))
    return [
        f"{path!r}: go {'accepts' if go_ok else 'refuses'}, we say {go_module_path_problem(path) or 'accepted'}"
        for path, go_ok in verdicts.items()
        if go_ok != (go_module_path_problem(path) is None)
    ]


needs_go = pytest.mark.skipif(GO is None and os.environ.get("CI") != "true", reason="the Go toolchain is not installed")


@needs_go
def test_check_agrees_with_the_go_toolchain_on_tricky_paths():
    assert disagreements(TRICKY_PATHS) == []


PATH_CHARACTERS = "abcXY019._~+-/"


@needs_go
@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(st.text(alphabet=PATH_CHARACTERS, min_size=1, max_size=12))
def test_check_agrees_with_the_go_toolchain_on_drawn_paths(path):
    assert disagreements([path]) == []
