// The results board refreshes itself (skills:board): every N seconds (data-refresh-seconds on
// the results region, 15 by default) it fetches the same page with ?fragment=1 and swaps the
// region. The "updated at" line comes from the fragment (the server's clock); on an error the
// old results stay and a small "offline, retrying" notice shows until a fetch succeeds.
(function () {
  "use strict";

  var region = document.getElementById("board-results");
  if (!region || !window.fetch) return;
  var updated = document.getElementById("board-updated");
  var offline = document.getElementById("board-offline");
  var seconds = parseFloat(region.getAttribute("data-refresh-seconds"));
  if (!(seconds > 0)) seconds = 15;

  var url = new URL(window.location.href);
  url.searchParams.set("fragment", "1");
  url.hash = "";

  function setOffline(on) {
    if (offline) offline.hidden = !on;
  }

  function showStamp() {
    var stamp = region.querySelector("[data-updated]");
    if (stamp && updated) updated.textContent = stamp.getAttribute("data-updated");
  }

  function refresh() {
    fetch(url.toString(), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        showStamp();
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
