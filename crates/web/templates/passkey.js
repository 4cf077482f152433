// Passkeys: a form marked data-passkey="create" (add a passkey) or "get" (step up, sign in)
// carries the server's WebAuthn options (JSON, hidden field "options"). On submit, the browser
// is asked for the passkey and its answer goes back in the hidden field "credential". When the
// browser has no WebAuthn or the person cancels, the form goes with an empty answer and the
// server says so in the page's language. A "get" form marked data-autofill also offers the
// passkeys in the login ID field (conditional mediation) where the browser can.
(function () {
  'use strict';
  function bytes(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) { s += '='; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function text(buf) {
    var a = new Uint8Array(buf), s = '';
    for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function creation(o) {
    var pk = o.publicKey;
    pk.challenge = bytes(pk.challenge);
    pk.user.id = bytes(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return { publicKey: pk };
  }
  function request(o, mediation) {
    var pk = o.publicKey;
    pk.challenge = bytes(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    var r = { publicKey: pk };
    if (mediation) { r.mediation = mediation; }
    return r;
  }
  function created(c) {
    var r = c.response;
    return {
      id: c.id, rawId: text(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {
        attestationObject: text(r.attestationObject),
        clientDataJSON: text(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : []
      }
    };
  }
  function asserted(c) {
    var r = c.response;
    return {
      id: c.id, rawId: text(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {
        authenticatorData: text(r.authenticatorData),
        clientDataJSON: text(r.clientDataJSON),
        signature: text(r.signature),
        userHandle: r.userHandle ? text(r.userHandle) : null
      }
    };
  }
  function send(form, answer) {
    form.elements.credential.value = answer ? JSON.stringify(answer) : '';
    form.submit();
  }
  function ask(form, mediation, signal) {
    var o = JSON.parse(form.elements.options.value);
    if (form.dataset.passkey === 'create') {
      return navigator.credentials.create(creation(o)).then(created);
    }
    var r = request(o, mediation);
    if (signal) { r.signal = signal; }
    return navigator.credentials.get(r).then(asserted);
  }
  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    var waiting = null;
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!window.PublicKeyCredential || !navigator.credentials) { send(form, null); return; }
      // A passkey is not made for a form the server will refuse (its name left empty): the
      // authenticator would keep a credential no account knows.
      if (form.elements.name && !form.elements.name.value.trim()) { send(form, null); return; }
      // The button wins over the autofill offer still waiting.
      if (waiting) { waiting.abort(); waiting = null; }
      ask(form).then(function (a) { send(form, a); }, function () { send(form, null); });
    });
    // Autofill: the passkeys are offered in the login ID field, without a button press.
    if (form.dataset.autofill !== undefined && window.PublicKeyCredential &&
        PublicKeyCredential.isConditionalMediationAvailable && window.AbortController) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
        if (!yes) { return; }
        waiting = new AbortController();
        ask(form, 'conditional', waiting.signal).then(function (a) { send(form, a); }, function () {});
      });
    }
  });
})();
