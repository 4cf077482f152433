// Sends the SAML message on to the application as soon as the page (and any logout frames
// in it) has loaded; the Continue button does the same without JavaScript. A frame marked
// data-relays holds our own page, which posts a logout request on to another application:
// its second load is that application's answer, so the message waits for it (at most a few
// seconds), or leaving the page would cut the other application's logout short.
(function () {
  "use strict";
  var form = document.getElementById("saml-post");
  if (!form || form.getAttribute("data-auto") !== "1") { return; }
  var sent = false;
  function send() {
    if (!sent) { sent = true; form.submit(); }
  }
  window.addEventListener("load", function () {
    var relays = document.querySelectorAll("iframe[data-relays]");
    var waiting = relays.length;
    if (waiting === 0) { send(); return; }
    for (var i = 0; i < relays.length; i++) {
      relays[i].addEventListener("load", function once() {
        this.removeEventListener("load", once);
        waiting -= 1;
        if (waiting === 0) { send(); }
      });
    }
    window.setTimeout(send, 4000);
  });
})();
