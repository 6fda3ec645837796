// Checks each score as it is typed, with the server's rule (scoring.services.save_scores):
// a number from 0 to the criterion's maximum with at most 2 decimals; blank is a draft gap.
// The messages come from the page (data-msg-*), translated by the server.
(function () {
  "use strict";

  var form = document.getElementById("score-form");
  if (!form) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-score]"));
  var NUMBER = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

  function problem(input) {
    if (input.validity && input.validity.badInput) return input.dataset.msgNumber;
    var raw = input.value.trim();
    if (raw === "") return "";
    var parts = NUMBER.exec(raw);
    if (!parts || (parts[1] === "" && !parts[2])) return input.dataset.msgNumber;
    var value = Number(raw);
    if (!isFinite(value) || value < 0 || value > Number(input.dataset.max)) {
      return input.dataset.msgRange;
    }
    // As Python's Decimal counts them: "80.120" has 3 decimals, "1.5e1" has none.
    var decimals = (parts[2] || "").length - parseInt(parts[3] || "0", 10);
    if (decimals > 2) return input.dataset.msgDecimals;
    return "";
  }

  function check(input) {
    var message = problem(input);
    var row = input.closest(".score-row");
    var box = document.getElementById(input.name + "-error");
    input.setCustomValidity(message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    if (row) row.classList.toggle("has-error", !!message);
    if (box) box.textContent = message;
    return !message;
  }

  inputs.forEach(function (input) {
    input.addEventListener("input", function () { check(input); });
  });

  form.addEventListener("submit", function (event) {
    var invalid = inputs.filter(function (input) { return !check(input); });
    if (invalid.length) {
      event.preventDefault();
      invalid[0].focus();
    }
  });
})();
