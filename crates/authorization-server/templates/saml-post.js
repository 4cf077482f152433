// Sends the SAML message on to the application as soon as the page (and any logout frames
// in it) has loaded; the Continue button does the same without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("saml-post");
  if (!form || form.getAttribute("data-auto") !== "1") { return; }
  window.addEventListener("load", function () { form.submit(); });
})();
