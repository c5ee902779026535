/* Claim panels: copy-link buttons, and one framework choice for every panel, remembered.
   ?fw=pytorch opens PyTorch everywhere; choosing a framework in one panel switches them all, puts
   ?fw= in the address (a copied link opens the same view) and is remembered in this browser, so
   the next page opens on the same framework (as d2l.ai does). Event delegation: nothing is
   measured or attached per panel on load. */
(function () {
  "use strict";
  var FRAMEWORKS = { tensorflow: true, pytorch: true };
  var KEY = "framework-facts.framework";

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }  // storage may be off
  }

  function remember(fw) {
    try { window.localStorage.setItem(KEY, fw); } catch (e) { /* the choice then lasts one page */ }
  }

  // The address wins over the remembered choice: a shared link shows what its sender saw.
  function chosenFramework() {
    var fw = (new URLSearchParams(window.location.search).get("fw") || stored() || "").toLowerCase();
    return FRAMEWORKS[fw] ? fw : null;
  }

  function openFramework(fw) {
    document.querySelectorAll(".fw-input--" + fw).forEach(function (input) { input.checked = true; });
  }

  // The claim's own page when the panel names it (its link preview shows the claim and its
  // verdict); else this page at the claim's anchor.
  function claimUrl(button) {
    var url = button.dataset.url ? new URL(button.dataset.url, window.location.href) : new URL(window.location.href);
    if (!button.dataset.url) url.hash = button.dataset.claim;
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

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".claim-copy-link");
    if (button) copy(claimUrl(button), button);
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("fw-input")) return;
    // Panels above change height when they switch: keep the one the reader used where it was.
    var before = input.getBoundingClientRect().top;
    openFramework(input.value);
    window.scrollBy(0, input.getBoundingClientRect().top - before);
    remember(input.value);
    var url = new URL(window.location.href);
    url.searchParams.set("fw", input.value);
    history.replaceState(history.state, "", url.toString());
  });

  var fw = chosenFramework();
  if (fw) {
    if (new URLSearchParams(window.location.search).get("fw")) remember(fw);
    if (document.querySelector(".fw-input--" + fw + ":not(:checked)")) {
      openFramework(fw);
      // Panels above the target changed height: land on the claim the address names.
      var target = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }

  // Material's search dialog has no accessible name (axe: aria-dialog-name).
  var search = document.querySelector(".md-search[role=dialog]");
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "Search");

  // An old link to a claim that has moved to another page of its section arrives at a marker
  // that names where the claim is now: go there (the history keeps one entry).
  function forward() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var marker = id && document.getElementById(id);
    if (marker && marker.dataset && marker.dataset.forward) {
      window.location.replace(new URL(marker.dataset.forward, window.location.href).toString());
    }
  }
  forward();
  window.addEventListener("hashchange", forward);
})();
