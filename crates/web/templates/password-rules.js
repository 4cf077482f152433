// Marks each password rule as met while the person types, and the confirmation once both
// fields agree (the server checks every rule again). "Not a commonly used password" needs the
// list the server refuses from: it is fetched once from our own static file (cached), so the
// password typed never leaves the page; until the list arrives that rule stays unmarked.
(function () {
  "use strict";
  var input = document.getElementById("new_password");
  var confirm = document.getElementById("confirm_password");
  var list = document.getElementById("password-rules");
  if (!input || !list) { return; }
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
