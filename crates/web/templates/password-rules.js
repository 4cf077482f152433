// Marks each password rule as met while the person types, and the confirmation once both
// fields agree (the server checks every rule again). "Not a commonly used password" needs the
// list the server refuses from: it is fetched once from our own static file (cached), so the
// password typed never leaves the page; until the list arrives that rule stays unmarked.
// Each rule also says "met" or "not met yet" in words for screen readers (a polite live
// region). Every password field gets a "Show" button that reveals what was typed.
(function () {
  "use strict";
  var fr = document.documentElement.lang === "fr";
  var words = fr
    ? { show: "Afficher", hide: "Masquer", met: "respectée", unmet: "pas encore respectée" }
    : { show: "Show", hide: "Hide", met: "met", unmet: "not met yet" };
  document.querySelectorAll("input[type=password]").forEach(function (field) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link show-password";
    b.setAttribute("aria-controls", field.id);
    b.setAttribute("aria-pressed", "false");
    b.textContent = words.show;
    b.addEventListener("click", function () {
      var shown = field.type === "text";
      field.type = shown ? "password" : "text";
      b.textContent = shown ? words.show : words.hide;
      b.setAttribute("aria-pressed", shown ? "false" : "true");
    });
    field.insertAdjacentElement("afterend", b);
  });
  var input = document.getElementById("new_password");
  var confirm = document.getElementById("confirm_password");
  var list = document.getElementById("password-rules");
  if (!input || !list) { return; }
  list.setAttribute("aria-live", "polite");
  list.querySelectorAll("li[data-rule]").forEach(function (li) {
    var said = document.createElement("span");
    said.className = "visually-hidden rule-state";
    li.appendChild(said);
  });
  var personal = (list.getAttribute("data-personal") || "").toLowerCase().split("|").filter(function (s) { return s.length >= 3; });
  var common = null;
  // As credential_store::is_common: in the list, or in it once the ASCII digits and
  // punctuation at its end are removed, if at least 4 characters remain.
  function isCommon(p) {
    var l = p.toLowerCase();
    if (common.has(l)) { return true; }
    var stem = l.replace(/[\x21-\x40\x5b-\x60\x7b-\x7e]+$/, "");
    return Array.from(stem).length >= 4 && common.has(stem);
  }
  var tests = {
    too_short: function (p) { return Array.from(p).length >= 8; },
    too_long: function (p) { return p.length > 0 && Array.from(p).length <= 256; },
    no_lower: function (p) { return /\p{Ll}/u.test(p); },
    no_upper: function (p) { return /\p{Lu}/u.test(p); },
    no_digit: function (p) { return /[0-9]/.test(p); },
    common: function (p) { return p.length > 0 && common !== null && !isCommon(p); },
    contains_personal: function (p) {
      var l = p.toLowerCase();
      return p.length > 0 && !personal.some(function (s) { return l.indexOf(s) !== -1; });
    },
    confirm: function (p) { return p.length > 0 && confirm !== null && confirm.value === p; }
  };
  function update() {
    var p = input.value;
    list.querySelectorAll("li[data-rule]").forEach(function (li) {
      var t = tests[li.getAttribute("data-rule")];
      if (!t) { return; }
      var met = t(p);
      li.classList.toggle("met", met);
      li.setAttribute("data-met", met ? "true" : "false");
      var said = li.querySelector(".rule-state");
      if (said) { said.textContent = " (" + (met ? words.met : words.unmet) + ")"; }
    });
  }
  input.addEventListener("input", update);
  if (confirm) { confirm.addEventListener("input", update); }
  update();
  if (list.querySelector("li[data-rule='common']") && window.fetch && window.Set) {
    fetch("/static/common-passwords.txt", { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (text) {
        common = new Set(text.split("\n").map(function (s) { return s.trim().toLowerCase(); }).filter(function (s) { return s.length > 0; }));
        list.setAttribute("data-common", "ready");
        update();
      })
      .catch(function () { list.setAttribute("data-common", "unavailable"); });
  }
})();
