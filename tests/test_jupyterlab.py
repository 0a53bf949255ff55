"""A starter notebook opened in JupyterLab as a student opens it (on Binder, or with
``.venv/bin/jupyter lab``), in a real browser: MyST rendered by jupyterlab-myst, not shown as
fenced source.

JupyterLab starts from the venv, headless, on a free loopback port with a token, its settings in a
temporary folder (every cell rendered at once instead of only those in view; no news fetched), and
opens the starter of the hidden manifold model chapter (Predict boxes, definitions, exercises) in
headless Chromium, offline as in tests/test_html.py. Then:

- each Predict box's answer is folded: not visible until its dropdown is opened, visible after;
- each definition box (``{prf:definition}``) renders as a box: a titled, framed block;
- each exercise renders as a box, the maths is typeset without an error, and no fenced directive
  text (```` ``` ````, ``{admonition}``, ``:class:`` ...) shows anywhere in the notebook.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from test_html import CHROMIUM_FLAGS, chromium_path, closed_port
from test_starters import starters

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "hmm.md"
SOURCE = CHAPTER.read_text(encoding="utf-8")
START_TIMEOUT_S = 90
WAIT_MS = 60_000
# JupyterLab's user settings: render every cell (its default renders those in view only), no news
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}
FENCED = ["```", "{admonition}", "{prf:", "{exercise}", "{solution", ":class:", ":label:"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a folder with the chapter's starter; yields (base URL, token)."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    starters.write_starter(CHAPTER, tmp / "work" / "hmm.ipynb")
    for name, values in SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    port, token = closed_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={tmp / 'work'}", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers run as root; JupyterLab refuses it otherwise
    log = tmp / "jupyterlab.log"
    with open(log, "w", encoding="utf-8") as out:
        server = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def page(lab):
    """The starter open in JupyterLab in headless Chromium, every markdown cell rendered."""
    base, token = lab
    executable = chromium_path()
    offline = [f"--proxy-server=127.0.0.1:{closed_port()}",
               "--proxy-bypass-list=127.0.0.1;localhost"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable,
                                              args=CHROMIUM_FLAGS + offline)
        tab = chromium.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(f"{base}/lab/tree/hmm.ipynb?token={token}&reset")
        last = re.findall(r"^## (.+)$", SOURCE, re.M)[-1]  # the chapter's last heading
        tab.locator(".jp-Notebook h2", has_text=last).wait_for(timeout=WAIT_MS)
        yield tab
        chromium.close()


def declared(pattern: str) -> int:
    return len(re.findall(pattern, SOURCE))


def test_predict_answers_are_folded_until_opened(page):
    answers = page.locator(".jp-Notebook details", has=page.locator("summary",
                                                                   has_text="Answer"))
    n = declared(r"\{admonition\} Predict")
    assert n > 0 and answers.count() == n, f"{answers.count()} folded answers for {n} Predicts"
    for k in range(n):
        details = answers.nth(k)
        body = details.locator(".details-body")
        assert details.get_attribute("open") is None, f"answer {k + 1} is open from the start"
        assert not body.is_visible(), f"answer {k + 1} is visible before its dropdown opens"
        details.locator("summary").click()
        body.wait_for(state="visible", timeout=5_000)
        assert body.inner_text().strip(), f"answer {k + 1} opens empty"


def test_definitions_render_as_boxes(page):
    boxes = page.locator(".jp-Notebook aside.myst-proof")
    n = declared(r"\{prf:definition\}")
    assert n > 0 and boxes.count() == n, f"{boxes.count()} boxes for {n} definitions"
    for k in range(n):
        box = boxes.nth(k)
        title = box.locator(".myst-proof-title").inner_text()
        assert title.startswith(f"Definition {k + 1}"), title
        frame = box.evaluate("e => { const s = getComputedStyle(e); "
                             "return [s.boxShadow, s.borderLeftWidth, s.display]; }")
        assert frame[0] != "none" or frame[1] != "0px", f"definition {k + 1} has no frame"
        size = box.bounding_box()
        assert size and size["width"] > 300 and size["height"] > 40, size


def test_no_fenced_directive_text_and_maths_typeset(page):
    text = page.locator(".jp-Notebook").inner_text()
    shown = [f for f in FENCED if f in text]
    assert not shown, f"fenced MyST source shows in JupyterLab: {shown}"
    exercises = page.locator(".jp-Notebook aside.myst-exercise").count()
    assert exercises == declared(r"\{exercise\}"), f"{exercises} exercise boxes rendered"
    assert page.locator(".jp-Notebook .katex").count() > 50, "maths not typeset"
    errors = [e.get_attribute("title") for e in page.locator(".katex-error").all()]
    assert not errors, f"maths that KaTeX could not typeset: {errors[:3]}"
