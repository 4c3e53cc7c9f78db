// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The practice switcher submits on change (the button stays for keyboard and no-JS users).
  const switcher = document.getElementById("practice-switch");
  if (switcher) switcher.addEventListener("change", () => switcher.form.submit());
  // Confirm destructive actions: data-confirm on the button pressed, or on the form.
  document.body.addEventListener("submit", (event) => {
    const source = event.submitter && event.submitter.dataset.confirm ? event.submitter : event.target;
    const message = source.dataset && source.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
});
