/* Claim panels: copy-link buttons and framework links (?fw=pytorch opens the PyTorch tabs). */
(function () {
  "use strict";
  var LABELS = { tensorflow: "TensorFlow", pytorch: "PyTorch" };

  function chosenFramework() {
    var fw = new URLSearchParams(window.location.search).get("fw");
    return fw && LABELS[fw.toLowerCase()] ? fw.toLowerCase() : null;
  }

  function openFramework(fw) {
    // Every panel's tab for that framework, not one click: Material links tabs only on a real
    // click, so a scripted click switched the first panel alone.
    document.querySelectorAll(".tabbed-labels > label").forEach(function (label) {
      if (label.textContent.trim() !== LABELS[fw]) return;
      var input = document.getElementById(label.htmlFor);
      if (input) input.checked = true;
    });
  }

  function claimUrl(id) {
    var url = new URL(window.location.href);
    url.hash = id;
    var fw = chosenFramework();
    url.search = fw ? "?fw=" + fw : "";
    return url.toString();
  }

  function copy(text, button) {
    var done = function () {
      button.textContent = "Link copied";
      setTimeout(function () { button.textContent = "Copy link"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { window.prompt("Copy this link:", text); });
    } else {
      window.prompt("Copy this link:", text);
    }
  }

  function setup() {
    document.querySelectorAll(".claim-copy-link").forEach(function (button) {
      button.addEventListener("click", function () { copy(claimUrl(button.dataset.claim), button); });
    });
    document.querySelectorAll(".claim-evidence .tabbed-labels > label").forEach(function (label) {
      label.addEventListener("click", function (event) {
        if (!event.isTrusted) return;
        var fw = label.textContent.trim() === "PyTorch" ? "pytorch" : "tensorflow";
        var url = new URL(window.location.href);
        url.searchParams.set("fw", fw);
        history.replaceState(history.state, "", url.toString());
      });
    });
    var fw = chosenFramework();
    if (fw) {
      openFramework(fw);
      if (window.location.hash) {
        var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
        if (target) target.scrollIntoView();
      }
    }
  }

  // Material's search dialog has no accessible name (axe: aria-dialog-name); the header, and
  // with it the dialog, survives instant navigation, so once is enough.
  var search = document.querySelector(".md-search[role=dialog]");
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "Search");

  // Material's instant navigation swaps pages without a reload; document$ fires after each swap.
  if (window.document$) { window.document$.subscribe(setup); } else { document.addEventListener("DOMContentLoaded", setup); }
})();
