// Marks each password rule as met while the person types (the server checks them all again).
(function () {
  "use strict";
  var input = document.getElementById("new_password");
  var list = document.getElementById("password-rules");
  if (!input || !list) { return; }
  var personal = (list.getAttribute("data-personal") || "").toLowerCase().split("|").filter(function (s) { return s.length >= 3; });
  var tests = {
    too_short: function (p) { return Array.from(p).length >= 8; },
    too_long: function (p) { return p.length > 0 && Array.from(p).length <= 256; },
    no_lower: function (p) { return /\p{Ll}/u.test(p); },
    no_upper: function (p) { return /\p{Lu}/u.test(p); },
    no_digit: function (p) { return /[0-9]/.test(p); },
    contains_personal: function (p) {
      var l = p.toLowerCase();
      return p.length > 0 && !personal.some(function (s) { return l.indexOf(s) !== -1; });
    }
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
  update();
})();
