// A "select all" box: <input type="checkbox" data-select-all="CSS selector"> ticks or clears
// every box the selector names (the review queue's bulk decisions).
(function () {
  "use strict";

  document.querySelectorAll("input[data-select-all]").forEach(function (master) {
    master.addEventListener("change", function () {
      document.querySelectorAll(master.getAttribute("data-select-all")).forEach(function (box) {
        box.checked = master.checked;
      });
    });
  });
})();
