// The Notebooks page: a small client of authkit's routes (cookie backend)
// and of the notebooks API. No framework, no build step. User data is only
// ever put into the page as text, never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const views = ["login-view", "register-view", "forgot-view", "reset-view", "verify-view", "notebooks-view"];
  // hooks are filled by mfa.js (second factors and passkeys).
  const hooks = {};

  let me = null;         // the logged-in user, or null
  let resetToken = null; // the token of a reset link, kept out of the address bar

  // ---- Messages -----------------------------------------------------------

  function clearMessages() {
    for (const id of ["status", "error"]) {
      $(id).hidden = true;
      $(id).textContent = "";
    }
    for (const f of document.forms) Fields.clear(f);
  }
  function say(text) {
    $("error").hidden = true;
    $("status").textContent = text;
    $("status").hidden = false;
  }
  function fail(text) {
    $("status").hidden = true;
    $("error").textContent = text;
    $("error").hidden = false;
  }

  // show displays one view and moves the focus to its heading, so that a
  // screen reader announces where the user is.
  function show(view, { focus = true } = {}) {
    $("loading").hidden = true;
    for (const v of views) $(v).hidden = v !== view;
    $("account").hidden = view !== "notebooks-view";
    const heading = $(view).querySelector("h2[tabindex]");
    if (focus && heading) heading.focus();
  }

  // ---- Talking to the server ----------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super(describe(status, body));
      this.status = status;
      this.body = body;
    }
    get code() {
      const d = this.body && this.body.detail;
      if (typeof d === "string") return d;
      if (d && typeof d === "object" && !Array.isArray(d)) return d.code;
      return "";
    }
  }

  // api sends a request to the same origin (the cookie goes along) and
  // returns the decoded JSON answer, or throws an ApiError.
  async function api(method, path, { json, form } = {}) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (form !== undefined) {
      init.body = new URLSearchParams(form);
    } else if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError(0, null);
    }
    let body = null;
    const text = res.status === 204 ? "" : await res.text();
    if (text) {
      try { body = JSON.parse(text); } catch { body = null; }
    }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  // ---- Errors in words ----------------------------------------------------

  const codes = {
    REGISTER_USER_ALREADY_EXISTS: "An account with this email address already exists. Log in, or reset your password if you forgot it.",
    LOGIN_BAD_CREDENTIALS: "Wrong email or password.",
    LOGIN_USER_NOT_VERIFIED: "Your email address is not verified yet. Follow the link in the mail we sent you, then log in.",
    RESET_PASSWORD_BAD_TOKEN: "This reset link is invalid, has expired or was already used. Ask for a new one.",
    VERIFY_USER_BAD_TOKEN: "This verification link is invalid or has expired. Log in and ask for a new one.",
    VERIFY_USER_ALREADY_VERIFIED: "Your email address is already verified.",
    UPDATE_USER_EMAIL_ALREADY_EXISTS: "Another account already uses this email address.",
    UPDATE_USER_BAD_CURRENT_PASSWORD: "Your current password is wrong.",
    TOO_MANY_REQUESTS: "Too many attempts. Wait a minute, then try again.",
    ACCESS_TOKEN_ALREADY_EXPIRED: "Your session has expired. Log in again.",
    ACCESS_TOKEN_DECODE_ERROR: "Your session is no longer valid. Log in again.",
    OAUTH_USER_ALREADY_EXISTS: "An account with this email address already exists. Log in with your password.",
    OAUTH_NOT_AVAILABLE_EMAIL: "The provider did not give us your email address.",
    OAUTH_INVALID_STATE: "The sign-in did not complete in this browser. Try again.",
    OAUTH_EMAIL_NOT_VERIFIED: "The provider has not verified your email address. Verify it there, or register with your email and a password.",
    Unauthorized: "You are not logged in, or your session has ended. Log in again.",
    Forbidden: "You are not allowed to do that.",
    "Not Found": "It is not there any more: it may have been deleted.",
    "Request Entity Too Large": "That is too large to save.",
    "Service Unavailable": "The service is unavailable right now. Try again in a moment.",
  };

  const fieldNames = { email: "Email", username: "Email", password: "Password", display_name: "Display name", title: "Title", content: "Content", token: "Link", all: "Filter" };

  // passwordReason turns the policy's reason into advice.
  function passwordReason(reason) {
    const r = String(reason || "");
    let m;
    if ((m = r.match(/at least (\d+)/))) return `Choose a password of at least ${m[1]} characters.`;
    if ((m = r.match(/at most (\d+)/))) return `Choose a password of at most ${m[1]} characters.`;
    if (/common/i.test(r)) return "This password is too common: it is in lists of leaked passwords. Choose another one.";
    if (/e-?mail/i.test(r)) return "The password must not contain your email address.";
    if (/UTF-8/i.test(r)) return "The password contains characters that cannot be read. Type it again.";
    return r || "Choose another password.";
  }

  // fieldError words one 422 entry.
  function fieldError(e) {
    const loc = Array.isArray(e.loc) ? e.loc : [];
    const field = fieldNames[loc[loc.length - 1]] || "The request";
    switch (e.type) {
      case "missing": return `${field} is required.`;
      case "string_too_short": return `${field} cannot be empty.`;
      case "string_too_long": return `${field} is too long (${String(e.msg).replace(/^String should have /, "")}).`;
      case "json_invalid": return "The request could not be read. Reload the page and try again.";
      case "value_error":
        if (field === "Email") return "Enter a valid email address, such as name@example.com.";
        return `${field}: ${String(e.msg).replace(/^Value error, /, "")}.`.replace(/\.\.$/, ".");
      default: return `${field}: ${e.msg}`;
    }
  }

  function describe(status, body) {
    if (status === 0) return "Cannot reach the server. Check your connection and try again.";
    const d = body && body.detail;
    if (typeof d === "string" && codes[d]) return codes[d];
    if (Array.isArray(d) && d.length) return d.map(fieldError).join(" ");
    if (d && typeof d === "object" && d.code) {
      if (/INVALID_PASSWORD$/.test(d.code)) return "This password cannot be used. " + passwordReason(d.reason);
      if (codes[d.code]) return codes[d.code];
    }
    if (status === 413) return codes["Request Entity Too Large"];
    if (status >= 500) return codes["Service Unavailable"];
    return `Something went wrong (error ${status}${typeof d === "string" ? ": " + d : ""}).`;
  }

  // Codes that concern one field, by the field's (the input's) name.
  const codeFields = {
    REGISTER_USER_ALREADY_EXISTS: "email",
    UPDATE_USER_EMAIL_ALREADY_EXISTS: "email",
    UPDATE_USER_BAD_CURRENT_PASSWORD: "current_password",
  };

  // fieldMessages splits an ApiError into messages by field name; "" holds
  // what concerns no one field.
  function fieldMessages(e) {
    const d = e.body && e.body.detail;
    const out = {};
    const add = (name, text) => { out[name] = out[name] ? `${out[name]} ${text}` : text; };
    if (Array.isArray(d) && d.length) {
      for (const entry of d) {
        const loc = Array.isArray(entry.loc) ? entry.loc : [];
        const name = loc.length > 1 && typeof loc[loc.length - 1] === "string" ? loc[loc.length - 1] : "";
        add(name, fieldError(entry));
      }
    } else if (d && typeof d === "object" && /INVALID_PASSWORD$/.test(d.code || "")) {
      add("password", e.message);
    } else {
      add(codeFields[e.code] || "", e.message);
    }
    return out;
  }

  // failIn shows what went wrong next to the fields of form it concerns,
  // and the rest as the page's error. problem is an ApiError, or messages
  // by field name.
  function failIn(form, problem) {
    const rest = Fields.show(form, problem instanceof ApiError ? fieldMessages(problem) : problem);
    if (rest.length) fail(rest.join(" "));
  }

  // busy disables a form's controls while its request runs.
  async function busy(form, fn) {
    const controls = form.querySelectorAll("button, input, textarea");
    for (const c of controls) c.disabled = true;
    try {
      return await fn();
    } finally {
      for (const c of controls) c.disabled = false;
    }
  }

  // ---- Session ------------------------------------------------------------

  async function refresh() {
    try {
      me = await api("GET", "/users/me");
    } catch (e) {
      me = null;
      if (e.status !== 401) fail(e.message);
      showLogin();
      return;
    }
    await showNotebooks();
  }

  function showLogin({ email, focus = true } = {}) {
    me = null;
    if (email !== undefined) $("login-email").value = email;
    $("login-password").value = "";
    $("resend-verify").hidden = true;
    show("login-view", { focus });
  }

  function sessionEnded() {
    showLogin();
    fail(codes.Unauthorized);
  }

  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    if (!email || !password) return fail("Enter your email address and your password.");
    await busy(ev.target, async () => {
      try {
        await api("POST", "/auth/cookie/login", { form: { username: email, password } });
      } catch (e) {
        if (hooks.secondStep && (e.code === "LOGIN_MFA_REQUIRED" || e.code === "LOGIN_MFA_ENROLLMENT_REQUIRED")) {
          $("login-password").value = "";
          return hooks.secondStep(e.body);
        }
        $("resend-verify").hidden = e.code !== "LOGIN_USER_NOT_VERIFIED";
        $("login-password").value = "";
        $("login-password").focus();
        failIn(ev.target, e);
        return;
      }
      await refresh();
    });
  });

  $("resend-verify-button").addEventListener("click", async () => {
    clearMessages();
    const email = $("login-email").value.trim();
    try {
      await api("POST", "/auth/request-verify-token", { json: { email } });
      say(`If ${email} has an account that still needs verifying, we sent it a new verification link.`);
    } catch (e) {
      fail(e.message);
    }
  });

  $("logout").addEventListener("click", async () => {
    clearMessages();
    try {
      await api("POST", "/auth/cookie/logout");
    } catch (e) {
      if (e.status !== 401) return fail(e.message);
    }
    showLogin();
    say("You are logged out.");
  });

  // ---- Register, forgot, reset, verify --------------------------------------

  $("register-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const email = $("register-email").value.trim();
    const password = $("register-password").value;
    const displayName = $("register-display-name").value.trim();
    if (!email || !password) return fail("Enter an email address and a password.");
    await busy(ev.target, async () => {
      const json = { email, password };
      if (displayName) json.display_name = displayName;
      try {
        await api("POST", "/auth/register", { json });
      } catch (e) {
        return failIn(ev.target, e);
      }
      ev.target.reset();
      // Straight in: the password was just typed.
      try {
        await api("POST", "/auth/cookie/login", { form: { username: email, password } });
      } catch (e) {
        showLogin({ email });
        $("resend-verify").hidden = e.code !== "LOGIN_USER_NOT_VERIFIED";
        return fail(`Your account is created. ${e.message}`);
      }
      await refresh();
      say("Your account is created and you are logged in.");
    });
  });

  $("forgot-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const email = $("forgot-email").value.trim();
    if (!email) return fail("Enter your email address.");
    await busy(ev.target, async () => {
      try {
        await api("POST", "/auth/forgot-password", { json: { email } });
      } catch (e) {
        return failIn(ev.target, e);
      }
      ev.target.reset();
      showLogin({ email });
      say(`If ${email} has an account, we sent it a link to choose a new password. The link works once, for one hour.`);
    });
  });

  $("reset-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const password = $("reset-password").value;
    if (!password) return fail("Enter a new password.");
    if (password !== $("reset-password-confirm").value) return fail("The two passwords are not the same. Type them again.");
    await busy(ev.target, async () => {
      try {
        await api("POST", "/auth/reset-password", { json: { token: resetToken, password } });
      } catch (e) {
        return failIn(ev.target, e);
      }
      resetToken = null;
      ev.target.reset();
      history.replaceState(null, "", "/");
      showLogin();
      say("Your password has been changed. Log in with your new password.");
    });
  });

  async function verify(token) {
    show("verify-view");
    if (!token) {
      $("verify-result").textContent = "This verification link is incomplete. Copy the whole link from the mail.";
      return;
    }
    try {
      const user = await api("POST", "/auth/verify", { json: { token } });
      $("verify-result").textContent = `Thank you: ${user.email} is verified.`;
    } catch (e) {
      $("verify-result").textContent = e.message;
    }
  }

  $("verify-continue").addEventListener("click", () => {
    clearMessages();
    history.replaceState(null, "", "/");
    refresh();
  });

  $("request-verify").addEventListener("click", async () => {
    clearMessages();
    try {
      await api("POST", "/auth/request-verify-token", { json: { email: me.email } });
      say(`We sent a verification link to ${me.email}.`);
    } catch (e) {
      fail(e.message);
    }
  });

  for (const b of document.querySelectorAll("#show-register")) b.addEventListener("click", () => { clearMessages(); show("register-view"); });
  for (const b of document.querySelectorAll("#show-forgot, .show-forgot")) {
    b.addEventListener("click", () => {
      clearMessages();
      $("forgot-email").value = $("login-email").value;
      history.replaceState(null, "", "/");
      show("forgot-view");
    });
  }
  for (const b of document.querySelectorAll(".show-login")) b.addEventListener("click", () => { clearMessages(); showLogin(); });

  // ---- Profile ----------------------------------------------------------------

  // showAccount shows who is logged in: the display name, if any, and the
  // email; and fills the profile form.
  function showAccount() {
    $("account-name").textContent = me.display_name || "";
    $("account-name").hidden = !me.display_name;
    $("account-email").textContent = me.display_name ? `(${me.email})` : me.email;
    $("profile-display-name").value = me.display_name || "";
  }

  $("profile-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const value = $("profile-display-name").value.trim();
    await busy(ev.target, async () => {
      try {
        // null removes the field.
        me = await api("PATCH", "/users/me", { json: { display_name: value || null } });
      } catch (e) {
        if (e.status === 401) return sessionEnded();
        return failIn(ev.target, e);
      }
      showAccount();
      say("Your profile is saved.");
    });
  });

  // ---- Notebooks ------------------------------------------------------------

  async function showNotebooks() {
    showAccount();
    $("verify-banner").hidden = me.is_verified;
    $("show-all-label").hidden = !me.is_superuser;
    if (!me.is_superuser) $("show-all").checked = false;
    show("notebooks-view", { focus: false });
    if (hooks.showSecurity) hooks.showSecurity();
    await loadNotebooks();
  }

  async function loadNotebooks() {
    const all = $("show-all").checked;
    let list;
    try {
      list = await api("GET", "/api/notebooks" + (all ? "?all=true" : ""));
    } catch (e) {
      if (e.status === 401) return sessionEnded();
      return fail(e.message);
    }
    $("notebooks-heading").textContent = all ? "Everyone's notebooks" : "Your notebooks";
    const ul = $("notebook-list");
    ul.replaceChildren(...list.map(renderNotebook));
    $("empty").hidden = list.length > 0;
  }

  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    e.append(...children);
    return e;
  }

  function when(iso) {
    const d = new Date(iso);
    return el("time", { dateTime: iso, text: d.toLocaleString() });
  }

  function renderNotebook(n) {
    const mine = me && n.owner_id === me.id;
    const meta = el("p", { class: "meta" }, "Updated ", when(n.updated_at));
    if (!mine) meta.append(` · owner ${n.owner_id}`);
    const article = el("article", {},
      el("h3", { class: "notebook-title", text: n.title }),
      meta,
      el("p", { class: "notebook-content", text: n.content }));
    if (mine) {
      const edit = el("button", { type: "button", class: "secondary edit", text: "Edit", "aria-label": `Edit “${n.title}”` });
      const del = el("button", { type: "button", class: "danger delete", text: "Delete", "aria-label": `Delete “${n.title}”` });
      edit.addEventListener("click", () => startEdit(li, n));
      del.addEventListener("click", () => remove(n));
      article.append(el("div", { class: "actions" }, edit, del));
    }
    const li = el("li", { class: "notebook card", "data-id": n.id }, article);
    return li;
  }

  function startEdit(li, n) {
    clearMessages();
    const tid = `edit-title-${n.id}`, cid = `edit-content-${n.id}`;
    const title = el("input", { id: tid, name: "title", type: "text", value: n.title, maxLength: 200, required: true, class: "edit-title" });
    const content = el("textarea", { id: cid, name: "content", rows: 6, value: n.content, class: "edit-content" });
    const cancel = el("button", { type: "button", class: "secondary cancel", text: "Cancel" });
    const form = el("form", { class: "edit-form", noValidate: true, "aria-label": `Edit “${n.title}”` },
      el("label", { htmlFor: tid, text: "Title" }), title,
      el("label", { htmlFor: cid, text: "Content" }), content,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "save", text: "Save" }), cancel));
    cancel.addEventListener("click", () => li.replaceWith(renderNotebook(n)));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearMessages();
      await busy(form, async () => {
        try {
          await api("PATCH", `/api/notebooks/${encodeURIComponent(n.id)}`, { json: { title: title.value, content: content.value } });
        } catch (e) {
          if (e.status === 401) return sessionEnded();
          return failIn(form, e);
        }
        say("Saved.");
        await loadNotebooks();
      });
    });
    li.replaceChildren(form);
    title.focus();
  }

  async function remove(n) {
    clearMessages();
    try {
      await api("DELETE", `/api/notebooks/${encodeURIComponent(n.id)}`);
    } catch (e) {
      if (e.status === 401) return sessionEnded();
      if (e.status !== 404) return fail(e.message);
    }
    say(`Deleted “${n.title}”.`);
    await loadNotebooks();
    $("notebooks-heading").focus();
  }

  $("new-notebook-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const title = $("new-title").value;
    if (!title.trim()) return failIn(ev.target, { title: "Give the notebook a title." });
    await busy(ev.target, async () => {
      try {
        await api("POST", "/api/notebooks", { json: { title, content: $("new-content").value } });
      } catch (e) {
        if (e.status === 401) return sessionEnded();
        return failIn(ev.target, e);
      }
      ev.target.reset();
      say(`Created “${title.trim()}”.`);
      await loadNotebooks();
    });
    $("new-title").focus();
  });

  $("show-all").addEventListener("change", () => { clearMessages(); loadNotebooks(); });

  // ---- Sign in with a provider ---------------------------------------------

  // providers shows a "Sign in with ..." button for each provider the
  // server offers; none when it offers none.
  async function providers() {
    let list;
    try {
      list = (await api("GET", "/api/providers")).providers || [];
    } catch {
      return;
    }
    const p = $("providers");
    p.replaceChildren(...list.map((prov) => {
      const b = el("button", { type: "button", class: "secondary", text: `Sign in with ${prov.label}`, "data-provider": prov.name });
      b.addEventListener("click", async () => {
        clearMessages();
        try {
          // Sets the state cookie; the provider sends the browser back to
          // the callback, which logs in and redirects to this page.
          const { authorization_url } = await api("GET", prov.authorize);
          location.assign(authorization_url);
        } catch (e) {
          fail(e.message);
        }
      });
      return b;
    }));
    p.hidden = list.length === 0;
  }

  // What mfa.js builds on.
  window.notebooks = { $, views, hooks, codes, api, say, fail, clearMessages, show, showLogin, refresh, busy, el };

  // ---- Start ----------------------------------------------------------------

  function start() {
    providers();
    const token = new URLSearchParams(location.search).get("token");
    switch (location.pathname) {
      case "/reset-password":
        // Keep the token in memory only: out of the address bar and history.
        history.replaceState(null, "", "/reset-password");
        if (!token) {
          show("forgot-view");
          return fail("This reset link is incomplete. Copy the whole link from the mail, or ask for a new one.");
        }
        resetToken = token;
        return show("reset-view");
      case "/verify":
        history.replaceState(null, "", "/verify");
        return verify(token);
    }
    refresh();
  }

  // After mfa.js (loaded after this script) has set its hooks.
  document.addEventListener("DOMContentLoaded", start);
})();
