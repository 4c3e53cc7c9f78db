// Where the focus goes on a form page (issue 16, WCAG 2.4.3 focus order, 3.3.1 error
// identification):
// - a refused form: its first invalid field (Django marks it aria-invalid="true"), or else its
//   error summary (a refusal that names no field, a duplicate notice); every <details> holding
//   an error opens first, so that the field can be seen and focused;
// - arriving from a saved step (the address carries ?saved=1): the new step's heading marked
//   data-step-heading (tabindex="-1"), so that the next Tab reaches the step's first field.
//   A plain visit keeps the browser's own focus. The flag is then dropped from the address, so
//   that a reload or Back does not move the focus again.
// Runs on load and after htmx swaps a refused form in place.
(function () {
  "use strict";

  function openDetailsAround(el) {
    for (let d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
      d.open = true;
    }
  }

  function focusErrors(root) {
    const invalid = root.querySelectorAll('[aria-invalid="true"], [data-error-summary], .has-error');
    if (!invalid.length) return false;
    invalid.forEach(openDetailsAround);
    const target = root.querySelector('[aria-invalid="true"]') || root.querySelector("[data-error-summary]");
    if (!target) return false;
    target.focus({ preventScroll: true });
    // Centre it: the page's top (sticky header, messages) never hides it.
    target.scrollIntoView({ block: "center" });
    return true;
  }

  function focusSavedStep() {
    const url = new URL(window.location.href);
    if (!url.searchParams.has("saved")) return;
    url.searchParams.delete("saved");
    window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
    const heading = document.querySelector("[data-step-heading]");
    if (heading) {
      heading.focus({ preventScroll: true });
      heading.scrollIntoView({ block: "nearest" });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!focusErrors(document)) focusSavedStep();
  });

  // htmx re-renders a refused form in place (hx-select="main"): focus its first error.
  // Only after a post: a fragment fetched while typing (the rate field) never moves the focus.
  document.addEventListener("htmx:afterSettle", function (event) {
    const config = event.detail && event.detail.requestConfig;
    if (config && config.verb === "post") focusErrors(document);
  });
})();
