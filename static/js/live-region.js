// A page region that refreshes itself: the skills results board (15 s) and the leadership's
// overview screen (60 s). The region carries data-live-region, data-refresh-seconds and the
// ids of its "updated at" line (data-updated-by) and its offline notice (data-offline-by).
// Every N seconds it fetches the same page with ?fragment=1 and swaps the region; the stamp
// comes from the fragment (the server's clock). On an error, or a redirect (a lost session
// lands on the login page), the old content stays and the offline notice shows until a
// fetch succeeds.
(function () {
  "use strict";

  var region = document.querySelector("[data-live-region]");
  if (!region || !window.fetch) return;
  var updated = document.getElementById(region.getAttribute("data-updated-by"));
  var offline = document.getElementById(region.getAttribute("data-offline-by"));
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
