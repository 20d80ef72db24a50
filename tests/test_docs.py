"""The documentation site (docs/, mkdocs.yml): every ```python block of a page runs, the
page's blocks in order in one namespace, as a reader would paste them; and the site
builds with ``mkdocs build --strict``.

A block preceded by the comment ``<!-- not run: why -->`` is shown but not run; it is
kept for code that needs data that is not installed (the Fashion-MNIST files), next to a
runnable variant.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

# A fenced block: its indentation, fence and info string, then its lines up to the
# matching closing fence.
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S
)
NOT_RUN = re.compile(r"<!--\s*not run\b.*?-->\s*$", re.S)


def python_blocks(text: str) -> list[tuple[int, str, bool]]:
    """The page's ```python blocks: (line number, code, runs), in order."""
    blocks = []
    for match in FENCE.finditer(text):
        info = match["info"].strip().split()
        if not info or info[0] not in ("python", "py"):
            continue
        before = text[: match.start()].rstrip()
        runs = NOT_RUN.search(before[-300:]) is None
        indent = len(match["indent"])
        code = "\n".join(line[indent:] for line in match["body"].splitlines())
        blocks.append((text.count("\n", 0, match.start()) + 1, code, runs))
    return blocks


def test_the_extractor_finds_blocks_and_not_run_marks():
    text = (
        "# T\n\n```python\na = 1\n```\n\ntext\n\n<!-- not run: needs data -->\n```python\nb = 2\n```\n\n```\nc\n```\n"
    )
    assert python_blocks(text) == [(3, "a = 1", True), (10, "b = 2", False)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_code_block_of_the_page_runs(page, tmp_path, monkeypatch):
    blocks = python_blocks(page.read_text())
    if not blocks:
        pytest.skip("no python blocks")
    pytest.importorskip("graphviz")  # the tutorials draw graphs with nf.utils.viz.make_dot
    monkeypatch.chdir(tmp_path)  # what a page writes (checkpoints, runs/) lands here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    for line, code, runs in blocks:
        if not runs:
            continue
        try:
            exec(compile(code, f"{page.relative_to(ROOT)}:{line}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{page.relative_to(ROOT)}, the block at line {line} raised {error!r}") from error


def test_not_run_blocks_are_rare():
    """Blocks that are not run are kept for unavailable data: a few in all."""
    skipped = [(p.name, line) for p in PAGES for line, _, runs in python_blocks(p.read_text()) if not runs]
    assert len(skipped) <= 4, skipped


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in PAGES:
        assert str(page.relative_to(DOCS)) in nav, f"{page} is not in mkdocs.yml's nav"


def test_pictures_the_pages_show_exist():
    for page in PAGES:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / target).resolve().is_file(), f"{page.name} shows {target}, which is missing"


def test_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    pytest.importorskip("material")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    for page in ("index.html", "api/nn.html", "tutorials/2-the-engine.html"):
        assert (site / page).is_file(), page
    conv = (site / "api" / "nn.html").read_text()
    assert 'id="numpyflow.nn.Conv2d"' in conv
