// Field errors: what is wrong with an input, shown right below it (and
// tied to it with aria-describedby and aria-invalid), instead of in the
// page-wide message. A form's inputs are found by their name, which is the
// API's field name (loc in a 422, "email" for REGISTER_USER_ALREADY_EXISTS).
"use strict";

window.Fields = (() => {
  // clear removes a form's field errors.
  function clear(form) {
    for (const p of form.querySelectorAll(".field-error")) p.remove();
    for (const i of form.querySelectorAll("[aria-invalid]")) {
      i.removeAttribute("aria-invalid");
      const ids = (i.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      if (ids.length) i.setAttribute("aria-describedby", ids.join(" "));
      else i.removeAttribute("aria-describedby");
    }
  }

  // show puts each message of byName below the input of that name in
  // form, focuses the first such input, and returns the messages no input
  // of the form took, for the page-wide message.
  function show(form, byName) {
    clear(form);
    const rest = [];
    let first = null;
    for (const [name, text] of Object.entries(byName)) {
      const input = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!input) {
        rest.push(text);
        continue;
      }
      const p = document.createElement("p");
      p.className = "field-error";
      p.id = `${input.id || name}-error`;
      p.textContent = text;
      input.after(p);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), p.id].filter(Boolean).join(" "));
      first ??= input;
    }
    if (first) first.focus();
    return rest;
  }

  return { clear, show };
})();
