// The progress bar of a summary being built (awards:summary-campaign): polls the build's
// status URL (data-status-url) every two seconds and updates the bar; when the build is done
// it shows the link to the summary, when it failed the message, and stops. Without scripts the
// page asks to be reloaded.
(function () {
  "use strict";

  var box = document.getElementById("summary-progress");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("summary-progress-bar");
  var text = document.getElementById("summary-progress-text");
  var done = document.getElementById("summary-progress-done");
  var build = document.querySelector("form[data-build-now] button[type=submit]");
  var EVERY = 2000;

  function show(status) {
    if (bar) bar.value = status.progress;
    if (text) text.textContent = status.state_label + " · " + status.progress + "%";
    if (status.state === "failed" && text) text.textContent = status.state_label + ": " + status.error;
    if (status.state === "done" && done) {
      var link = done.querySelector("a");
      if (link && status.url) link.href = status.url;
      done.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (!status.finished) {
          window.setTimeout(poll, EVERY);
        } else if (build) {
          build.disabled = false; // another build may be asked for now
        }
      })
      .catch(function () {
        window.setTimeout(poll, EVERY * 3);
      });
  }

  window.setTimeout(poll, EVERY);
})();
