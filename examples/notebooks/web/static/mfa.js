// Second factors and passkeys on the Notebooks page: TOTP enrolment (QR
// code, confirmation, recovery codes shown once), the second step of a
// login (a code, a recovery code or a passkey), passwordless sign-in with
// a passkey, and the list of passkeys. It builds on app.js (window.notebooks).
"use strict";

(() => {
  const { $, views, hooks, codes, api, say, fail, clearMessages, show, showLogin, refresh, busy, el } = window.notebooks;
  views.push("mfa-view", "enrol-view");

  Object.assign(codes, {
    LOGIN_BAD_MFA_CODE: "That code is wrong or was already used. Wait for the next code and try again.",
    LOGIN_BAD_MFA_TOKEN: "This sign-in took too long or was already completed. Log in again.",
    LOGIN_BAD_PASSKEY: "That passkey did not work here. Try again, or log in with your password.",
    MFA_BAD_CODE: "That code is wrong or was already used. Wait for the next code and try again.",
    MFA_TOTP_ALREADY_ENABLED: "An authenticator app is already set up.",
    MFA_TOTP_NOT_PENDING: "Start the setup again.",
    MFA_TOTP_NOT_ENABLED: "No authenticator app is set up.",
    PASSKEY_INVALID: "The passkey could not be added. Try again.",
    PASSKEY_ALREADY_REGISTERED: "This passkey is already added.",
  });

  // ---- WebAuthn in JSON ---------------------------------------------------

  const passkeysWork = !!(window.PublicKeyCredential && navigator.credentials);

  function fromB64u(s) {
    const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  }
  function toB64u(buf) {
    let s = "";
    for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // create runs navigator.credentials.create with the server's options and
  // returns the credential in its JSON form.
  async function create(options) {
    const pk = { ...options.publicKey, challenge: fromB64u(options.publicKey.challenge) };
    pk.user = { ...pk.user, id: fromB64u(pk.user.id) };
    pk.excludeCredentials = (pk.excludeCredentials || []).map((c) => ({ ...c, id: fromB64u(c.id) }));
    const cred = await navigator.credentials.create({ publicKey: pk });
    return {
      id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment,
      response: {
        clientDataJSON: toB64u(cred.response.clientDataJSON),
        attestationObject: toB64u(cred.response.attestationObject),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

  async function get(options) {
    const pk = { ...options.publicKey, challenge: fromB64u(options.publicKey.challenge) };
    pk.allowCredentials = (pk.allowCredentials || []).map((c) => ({ ...c, id: fromB64u(c.id) }));
    const cred = await navigator.credentials.get({ publicKey: pk });
    const r = cred.response;
    return {
      id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment,
      response: {
        clientDataJSON: toB64u(r.clientDataJSON),
        authenticatorData: toB64u(r.authenticatorData),
        signature: toB64u(r.signature),
        userHandle: r.userHandle ? toB64u(r.userHandle) : null,
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

  // A browser dialog the user closed is no error worth words.
  function passkeyFailed(e) {
    if (e && e.name === "NotAllowedError") return fail("The passkey was not used.");
    fail(e && e.message ? e.message : String(e));
  }

  // signInWithPasskey runs a passkey sign-in through the cookie backend:
  // usernameless, or (with mfaToken) the second step of a password login.
  async function signInWithPasskey(mfaToken) {
    clearMessages();
    try {
      const options = await api("POST", "/auth/cookie/passkey/begin", { json: mfaToken ? { mfa_token: mfaToken } : {} });
      const credential = await get(options);
      await api("POST", "/auth/cookie/passkey/finish", { json: { credential } });
    } catch (e) {
      return passkeyFailed(e);
    }
    await refresh();
  }

  $("passkey-login-row").hidden = !passkeysWork;
  $("passkey-login").addEventListener("click", () => signInWithPasskey(null));

  // ---- The second step of a login -----------------------------------------

  let step = null; // {token, methods} of LOGIN_MFA_REQUIRED

  hooks.secondStep = (body) => {
    if (body.detail === "LOGIN_MFA_ENROLLMENT_REQUIRED") return enrolFirst(body.mfa_token);
    step = { token: body.mfa_token, methods: body.methods || [] };
    const totp = step.methods.includes("totp");
    $("mfa-form").hidden = !totp;
    $("mfa-use-recovery").hidden = !totp;
    $("mfa-passkey").hidden = !(passkeysWork && step.methods.includes("passkey"));
    $("mfa-hint").textContent = totp ? "Enter the 6-digit code of your authenticator app." : "Use your passkey to finish logging in.";
    useRecovery(false);
    show("mfa-view");
    if (totp) $("mfa-code").focus();
  };

  function useRecovery(on) {
    $("mfa-code-row").hidden = on;
    $("mfa-recovery-row").hidden = !on;
    $("mfa-code").value = "";
    $("mfa-recovery").value = "";
    $("mfa-use-recovery").textContent = on ? "Use a code of the app instead" : "Use a recovery code instead";
  }
  $("mfa-use-recovery").addEventListener("click", () => {
    useRecovery($("mfa-recovery-row").hidden);
    ($("mfa-recovery-row").hidden ? $("mfa-code") : $("mfa-recovery")).focus();
  });
  $("mfa-passkey").addEventListener("click", () => signInWithPasskey(step && step.token));

  $("mfa-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const recovery = !$("mfa-recovery-row").hidden;
    const value = (recovery ? $("mfa-recovery") : $("mfa-code")).value.trim();
    if (!value) return fail(recovery ? "Enter one of your recovery codes." : "Enter the code your app shows.");
    const json = { mfa_token: step.token };
    json[recovery ? "recovery_code" : "code"] = value;
    await busy(ev.target, async () => {
      try {
        await api("POST", "/auth/cookie/login/mfa", { json });
      } catch (e) {
        fail(e.message);
        if (e.code === "LOGIN_BAD_MFA_TOKEN") return showLogin({ focus: false });
        return;
      }
      step = null;
      await refresh();
    });
  });

  // ---- TOTP enrolment ---------------------------------------------------------

  // totpSetup fills box with the enrolment: the QR code, the secret, a
  // code to confirm, then the recovery codes, once. With token (of
  // LOGIN_MFA_ENROLLMENT_REQUIRED) it works without a session. done runs
  // when the user has seen the codes.
  async function totpSetup(box, token, done) {
    clearMessages();
    let begun;
    try {
      begun = await api("POST", "/users/me/mfa/totp", { json: token ? { mfa_token: token } : {} });
    } catch (e) {
      return fail(e.message);
    }
    const input = el("input", { id: "totp-code", type: "text", inputMode: "numeric", autocomplete: "one-time-code", maxLength: 7 });
    const form = el("form", { id: "totp-confirm-form", noValidate: true },
      el("label", { htmlFor: "totp-code", text: "Code the app shows" }), input,
      el("button", { type: "submit", id: "totp-confirm", text: "Turn on" }));
    box.replaceChildren(
      el("p", { text: "Scan this code with your authenticator app, or type the key into it." }),
      el("img", { id: "totp-qr", src: begun.qr_code, alt: "QR code of the key", width: 200, height: 200 }),
      el("p", {}, "Key: ", el("code", { id: "totp-secret", text: begun.secret, "data-uri": begun.otpauth_uri })),
      form);
    input.focus();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearMessages();
      const code = input.value.trim();
      if (!code) return fail("Enter the code your app shows.");
      let res;
      await busy(form, async () => {
        try {
          res = await api("POST", "/users/me/mfa/totp/confirm", { json: token ? { mfa_token: token, code } : { code } });
        } catch (e) {
          fail(e.message);
        }
      });
      if (res) showRecoveryCodes(box, res.recovery_codes, done);
    });
  }

  function showRecoveryCodes(box, list, done) {
    const ok = el("button", { type: "button", id: "recovery-done", text: "I have saved them" });
    ok.addEventListener("click", done);
    box.replaceChildren(
      el("p", { class: "notice info", text: "Two-step sign-in is on. Save these recovery codes somewhere safe: each signs you in once if you lose your phone. They are shown only now." }),
      el("ul", { id: "recovery-codes", class: "codes" }, ...list.map((c) => el("li", {}, el("code", { text: c })))),
      ok);
    ok.focus();
  }

  function enrolFirst(token) {
    show("enrol-view");
    totpSetup($("enrol-totp"), token, () => {
      $("enrol-totp").replaceChildren();
      showLogin();
      say("Two-step sign-in is on. Log in again, with a code.");
    });
  }

  // ---- The security panel -------------------------------------------------

  hooks.showSecurity = async () => {
    let st;
    try {
      st = await api("GET", "/users/me/mfa");
    } catch {
      return;
    }
    $("totp-setup").replaceChildren();
    $("totp-status").textContent = st.totp
      ? `Two-step sign-in with an authenticator app is on (${st.recovery_codes_left} recovery codes left).`
      : "Two-step sign-in with an authenticator app is off.";
    $("totp-disable-form").hidden = !st.totp;
    if (!st.totp) {
      const b = el("button", { type: "button", id: "totp-enable", class: "secondary", text: "Set up an authenticator app" });
      b.addEventListener("click", () => totpSetup($("totp-setup"), null, () => hooks.showSecurity()));
      $("totp-setup").append(b);
    }
    $("passkey-form").hidden = !passkeysWork;
    await loadPasskeys();
  };

  $("totp-disable-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const password = $("totp-disable-password").value, code = $("totp-disable-code").value.trim();
    if (!password || !code) return fail("Enter your password and a current code.");
    await busy(ev.target, async () => {
      try {
        await api("DELETE", "/users/me/mfa/totp", { json: { password, code } });
      } catch (e) {
        return fail(e.message);
      }
      ev.target.reset();
      say("Two-step sign-in with an authenticator app is off.");
      await hooks.showSecurity();
    });
  });

  async function loadPasskeys() {
    let list;
    try {
      list = await api("GET", "/users/me/passkeys");
    } catch (e) {
      return fail(e.message);
    }
    $("passkey-list").replaceChildren(...list.map((p) => {
      const del = el("button", { type: "button", class: "danger remove", text: "Remove", "aria-label": `Remove passkey “${p.name}”` });
      del.addEventListener("click", async () => {
        clearMessages();
        try {
          await api("DELETE", `/users/me/passkeys/${encodeURIComponent(p.id)}`);
        } catch (e) {
          if (e.status !== 404) return fail(e.message);
        }
        say(`Removed the passkey “${p.name}”.`);
        await loadPasskeys();
      });
      const used = p.last_used_at ? `last used ${new Date(p.last_used_at).toLocaleString()}` : "never used";
      return el("li", { class: "passkey", "data-id": p.id },
        el("span", { class: "passkey-name", text: p.name }), " ",
        el("span", { class: "muted", text: `(${used})` }), " ", del);
    }));
    $("passkeys-empty").hidden = list.length > 0;
  }

  $("passkey-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessages();
    const name = $("passkey-name").value.trim();
    if (!name) return fail("Give the passkey a name.");
    await busy(ev.target, async () => {
      try {
        const options = await api("POST", "/users/me/passkeys/begin");
        const credential = await create(options);
        await api("POST", "/users/me/passkeys/finish", { json: { name, credential } });
      } catch (e) {
        return passkeyFailed(e);
      }
      say(`Added the passkey “${name}”.`);
      await loadPasskeys();
    });
  });
})();
