/* Explorers that move in the static book (tlcourse.interactive.OfflineExplorer), no kernel.
 *
 * Each explorer is a <div class="tlcourse-explorer"> holding range sliders, a figure's div and
 * its data as JSON: the Plotly figure at the start setting, the controls, and one frame per
 * setting computed when the chapter ran (key: the sliders' indices joined by commas; value: one
 * update per trace, merged into the trace). Moving a slider shows the frame of the new setting;
 * when the grid does not hold that setting (the "exclusive" controls: one away from its first
 * value at a time), the other exclusive sliders go back to their first value, visibly. The
 * numbers are never computed here: this script only picks them.
 * It also keeps every Plotly figure of the page inside its box (followBox, below).
 * Loaded on every page (_config.yml: html_js_files); uses the book's own plotly.js, which
 * tools/templates/layout.html loads on pages with a figure. */
(function () {
  "use strict";

  function merge(base, update) {
    const out = Object.assign({}, base);
    for (const [key, value] of Object.entries(update)) {
      const nested = value && typeof value === "object" && !Array.isArray(value);
      out[key] = nested ? merge(base[key] || {}, value) : value;
    }
    return out;
  }

  function setUp(root) {
    const spec = JSON.parse(root.querySelector("script.tlx-data").textContent);
    const plot = root.querySelector(".tlx-plot");
    const inputs = [...root.querySelectorAll("input[type=range]")];
    const exclusive = new Set(spec.exclusive || []);
    const base = spec.figure.data;

    function key() {
      return inputs.map((input) => input.value).join(",");
    }

    function show(moved) {
      if (!(key() in spec.frames)) {
        for (const input of inputs) {
          if (input !== moved && exclusive.has(input.dataset.name)) input.value = "0";
        }
      }
      spec.controls.forEach((control, i) => {
        inputs[i].nextElementSibling.textContent = control.labels[Number(inputs[i].value)];
      });
      const frame = spec.frames[key()];
      if (!frame) return;
      const data = base.map((trace, i) => merge(trace, frame[i] || {}));
      root.dataset.setting = key();
      window.Plotly.react(plot, data, spec.figure.layout, spec.config);
    }

    inputs.forEach((input) => input.addEventListener("input", () => show(input)));
    window.Plotly.newPlot(plot, base, spec.figure.layout, spec.config).then(() => show(null));
  }

  // Every Plotly figure of the page (explorers and plain figures) follows its box whenever the
  // box's width changes, also when the window's does not: a scroll bar appearing, the side bar
  // folding, the page drawn at another height. Plotly's own "responsive" option listens to the
  // window only, and a resize it handled at the wrong moment left the figure wider than its box.
  function followBox(plot) {
    let width = plot.clientWidth;
    new ResizeObserver(() => {
      if (plot.clientWidth === width || !plot._fullLayout) return;  // unchanged, or not drawn
      width = plot.clientWidth;
      window.Plotly.Plots.resize(plot);
    }).observe(plot);
  }

  function start() {
    if (!window.Plotly) return;  // no figure on this page
    document.querySelectorAll(".tlcourse-explorer").forEach(setUp);
    if (window.ResizeObserver) document.querySelectorAll(".plotly-graph-div").forEach(followBox);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
