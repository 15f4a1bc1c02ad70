// balance dashboard: the "Print / save as PDF" button of the monthly
// remote-monitoring report (a file of its own: the Content-Security-Policy
// allows no inline script or event handler).
"use strict";
(function () {
  const b = document.getElementById("rtm-print");
  if (b) b.addEventListener("click", () => window.print());
})();
