"""A starter notebook opened in JupyterLab as a student opens it (on Binder, or with
``.venv/bin/jupyter lab``), in a real browser: MyST rendered by jupyterlab-myst, not shown as
fenced source.

JupyterLab starts from the venv, headless, on a free loopback port with a token, its settings in a
temporary folder (every cell rendered at once instead of only those in view; no news fetched), and
opens the starter of the hidden manifold model chapter (Predict boxes, definitions, exercises) in
headless Chromium, offline as in tests/test_html.py (in a process of its own). Then:

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


INSPECT = "tests/test_jupyterlab.py"  # run as a script: inspect() in a process of its own


def inspect(url: str) -> dict:
    """What a student sees of the notebook at ``url``, opened in headless Chromium (offline):
    each Predict answer (hidden, then shown once its dropdown is clicked), each definition box,
    the notebook's visible text, its exercises and its maths. Run in a process of its own:
    Playwright's sync API runs once per process, and tests/test_html.py's may run in this one."""
    offline = [f"--proxy-server=127.0.0.1:{closed_port()}",
               "--proxy-bypass-list=127.0.0.1;localhost"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=CHROMIUM_FLAGS + offline)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(url)
        last = re.findall(r"^## (.+)$", SOURCE, re.M)[-1]  # the chapter's last heading
        tab.locator(".jp-Notebook h2", has_text=last).wait_for(timeout=WAIT_MS)
        answers = []
        for details in tab.locator(".jp-Notebook details", has=tab.locator(
                "summary", has_text="Answer")).all():
            body = details.locator(".details-body")
            before = (details.get_attribute("open") is not None, body.is_visible())
            details.locator("summary").click()
            body.wait_for(state="visible", timeout=5_000)
            answers.append({"open": before[0], "visible": before[1],
                            "text_after": body.inner_text().strip()})
        boxes = [{"title": box.locator(".myst-proof-title").inner_text(),
                  "frame": box.evaluate("e => { const s = getComputedStyle(e); "
                                        "return [s.boxShadow, s.borderLeftWidth]; }"),
                  "size": box.bounding_box()}
                 for box in tab.locator(".jp-Notebook aside.myst-proof").all()]
        seen = {"answers": answers, "boxes": boxes,
                "text": tab.locator(".jp-Notebook").inner_text(),
                "exercises": tab.locator(".jp-Notebook aside.myst-exercise").count(),
                "maths": tab.locator(".jp-Notebook .katex").count(),
                "maths_errors": [e.get_attribute("title")
                                 for e in tab.locator(".katex-error").all()]}
        browser.close()
    return seen


@pytest.fixture(scope="module")
def page(lab):
    """What :func:`inspect` saw of the starter open in JupyterLab."""
    base, token = lab
    url = f"{base}/lab/tree/hmm.ipynb?token={token}&reset"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"),
                                                       str(ROOT / "tools")]))
    run = subprocess.run([sys.executable, str(ROOT / INSPECT), url], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def declared(pattern: str) -> int:
    return len(re.findall(pattern, SOURCE))


def test_predict_answers_are_folded_until_opened(page):
    n = declared(r"\{admonition\} Predict")
    answers = page["answers"]
    assert n > 0 and len(answers) == n, f"{len(answers)} folded answers for {n} Predicts"
    for k, answer in enumerate(answers, start=1):
        assert not answer["open"], f"answer {k} is open from the start"
        assert not answer["visible"], f"answer {k} is visible before its dropdown opens"
        assert answer["text_after"], f"answer {k} opens empty"


def test_definitions_render_as_boxes(page):
    n = declared(r"\{prf:definition\}")
    boxes = page["boxes"]
    assert n > 0 and len(boxes) == n, f"{len(boxes)} boxes for {n} definitions"
    for k, box in enumerate(boxes, start=1):
        assert box["title"].startswith(f"Definition {k}"), box["title"]
        shadow, border = box["frame"]
        assert shadow != "none" or border != "0px", f"definition {k} has no frame"
        size = box["size"]
        assert size and size["width"] > 300 and size["height"] > 40, size


def test_no_fenced_directive_text_and_maths_typeset(page):
    shown = [f for f in FENCED if f in page["text"]]
    assert not shown, f"fenced MyST source shows in JupyterLab: {shown}"
    assert page["exercises"] == declared(r"\{exercise\}"), f"{page['exercises']} exercises"
    assert page["maths"] > 50, "maths not typeset"
    assert not page["maths_errors"], f"maths KaTeX could not typeset: {page['maths_errors'][:3]}"


if __name__ == "__main__":
    print(json.dumps(inspect(sys.argv[1])))
