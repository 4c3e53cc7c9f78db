// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The practice switcher submits on change (the button stays for keyboard and no-JS users).
  const switcher = document.getElementById("practice-switch");
  if (switcher) switcher.addEventListener("change", () => switcher.form.submit());
  // Confirm destructive actions named with data-confirm.
  document.body.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
});
