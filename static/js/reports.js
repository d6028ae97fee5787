// Report exports: a finished job starts its own download.
// The job fragment (templates/reports/_job.html) marks its download link `data-autodownload` when htmx
// swaps it in as the job finishes; this clicks it once. The link stays on the page as the fallback,
// and without JavaScript the page works as before (a link to click).
(function () {
  "use strict";

  function startDownloads(root) {
    if (!root || !root.querySelectorAll) return;
    var links = Array.prototype.slice.call(root.querySelectorAll("a[data-autodownload]"));
    if (root.matches && root.matches("a[data-autodownload]")) links.push(root);
    links.forEach(function (link) {
      link.removeAttribute("data-autodownload"); // once: a later swap or history restore does not repeat it
      link.click();
    });
  }

  document.addEventListener("htmx:load", function (event) {
    startDownloads(event.detail && event.detail.elt);
  });
})();
