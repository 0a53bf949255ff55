// Loaded before the Jupyter widget manager (html-manager's embed-amd.js) on pages with widgets.
// 1. The manager's AMD modules find their icon fonts relative to the module's require.js address:
//    map @jupyter-widgets/html-manager/dist onto the book's own copy beside this file
//    (_vendor/html-manager/); require.js reads a global `require` object as its configuration.
// 2. Widgets typeset their labels with the MathJax 2 API (MathJax.Hub.Queue) but the book loads
//    MathJax 3: map that call onto MathJax 3's typesetPromise, queued after MathJax's start-up.
(function () {
  "use strict";
  var here = document.currentScript.src;
  var manager = here.slice(0, here.lastIndexOf("/") + 1) + "html-manager";
  window.__jupyter_widgets_assets_path__ = manager + "/";
  window.require = { paths: { "@jupyter-widgets/html-manager/dist": manager } };

  function queue(command) {
    var mathjax = window.MathJax;
    var element = command && command[2];
    if (!element || !mathjax.startup) return;
    mathjax.startup.promise = mathjax.startup.promise.then(function () {
      return mathjax.typesetPromise([element]);
    });
  }

  function addHub() {
    // MathJax 3 replaces the window.MathJax configuration object when it loads (deferred)
    if (window.MathJax && window.MathJax.version && !window.MathJax.Hub) {
      window.MathJax.Hub = { Queue: queue };
    }
  }

  addHub();
  document.addEventListener("DOMContentLoaded", addHub);
})();
