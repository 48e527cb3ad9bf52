// The emailed link carries the code in the URL fragment (#code=123456), which browsers never
// send to the server: copy it into the form, then drop it from the address bar and history.
(function () {
  "use strict";
  var match = /(?:^|[#&])code=([0-9A-Za-z-]{1,20})/.exec(window.location.hash);
  if (!match) return;
  var input = document.getElementById("code");
  if (input && !input.value) input.value = match[1];
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
