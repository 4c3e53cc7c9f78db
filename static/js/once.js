// The one-time form token (DESIGN.md rule 12): every form that posts carries a hidden `_once`,
// made once per rendered form. A second post of the same form (a double click, Back to the
// page and Save again) carries the same token, and the server answers it with the first
// post's result instead of making a second record (sca_portal/once.py). A form swapped in by
// htmx gets its own token when it arrives.
(() => {
  const token = () => {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; getRandomValues does not.
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  const stamp = (root) => {
    if (!root || !root.querySelectorAll) return;
    const forms = Array.from(root.querySelectorAll('form[method="post" i]'));
    if (root.matches && root.matches('form[method="post" i]')) forms.push(root);
    for (const form of forms) {
      if (form.querySelector('input[name="_once"]')) continue; // once per rendered form
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "_once";
      input.value = token();
      form.appendChild(input);
    }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => stamp(document));
  } else {
    stamp(document);
  }
  document.addEventListener("htmx:load", (event) => stamp(event.detail && event.detail.elt));
})();
