// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The practice switcher submits on change (the button stays for keyboard and no-JS users).
  const switcher = document.getElementById("practice-switch");
  if (switcher) switcher.addEventListener("change", () => switcher.form.submit());
  // On a phone a <details data-collapse-narrow> (the case list's filters) starts closed, so
  // that the first result is in the first screen; never one that holds an error.
  if (window.matchMedia("(max-width: 600px)").matches) {
    document.querySelectorAll("details[data-collapse-narrow]").forEach((details) => {
      if (!details.querySelector('[aria-invalid="true"], .form-errors')) details.open = false;
    });
  }
  // Confirm destructive actions: data-confirm on the button pressed, or on the form.
  document.body.addEventListener("submit", (event) => {
    const source = event.submitter && event.submitter.dataset.confirm ? event.submitter : event.target;
    const message = source.dataset && source.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
});
