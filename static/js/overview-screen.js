// The overview screen of a campaign (awards:summary-overview) refreshes itself: every N
// seconds (data-refresh-seconds on the figures region, 60 by default) it fetches the page with
// ?fragment=1 and swaps the region. The "updated at" line comes from the fragment (the
// server's clock); on an error the old figures stay and an "offline, retrying" notice shows
// until a fetch succeeds.
(function () {
  "use strict";

  var region = document.getElementById("ov-region");
  if (!region || !window.fetch) return;
  var updated = document.getElementById("ov-updated");
  var offline = document.getElementById("ov-offline");
  var seconds = parseFloat(region.getAttribute("data-refresh-seconds"));
  if (!(seconds > 0)) seconds = 60;

  var url = new URL(window.location.href);
  url.searchParams.set("fragment", "1");
  url.hash = "";

  function setOffline(on) {
    if (offline) offline.hidden = !on;
  }

  function refresh() {
    fetch(url.toString(), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        // A lost session redirects to the login page: treat it as offline, keep the figures.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        var stamp = region.querySelector("[data-updated]");
        if (stamp && updated) updated.textContent = stamp.getAttribute("data-updated");
        setOffline(false);
      })
      .catch(function () {
        setOffline(true);
      })
      .then(function () {
        window.setTimeout(refresh, seconds * 1000);
      });
  }

  window.setTimeout(refresh, seconds * 1000);
})();
