/* Claim panels: copy-link buttons, and one framework choice for every panel on the page.
   ?fw=pytorch opens PyTorch everywhere; choosing a framework in one panel switches them all and
   puts ?fw= in the address, so a copied link opens the same view. Event delegation: nothing is
   measured or attached per panel on load. */
(function () {
  "use strict";
  var FRAMEWORKS = { tensorflow: true, pytorch: true };

  function chosenFramework() {
    var fw = (new URLSearchParams(window.location.search).get("fw") || "").toLowerCase();
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
    var url = new URL(window.location.href);
    url.searchParams.set("fw", input.value);
    history.replaceState(history.state, "", url.toString());
  });

  function setup() {
    var fw = chosenFramework();
    if (!fw) return;
    openFramework(fw);
    if (window.location.hash) {
      var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (target) target.scrollIntoView();
    }
  }

  // Material's search dialog has no accessible name (axe: aria-dialog-name); the header, and
  // with it the dialog, survives instant navigation, so once is enough.
  var search = document.querySelector(".md-search[role=dialog]");
  if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "Search");

  // Material's instant navigation swaps pages without a reload; document$ fires after each swap.
  if (window.document$) { window.document$.subscribe(setup); } else { setup(); }
})();
