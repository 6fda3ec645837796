// Honours pages (awards): the progress of a list's generation job and safe form submits.
//
// - #generation-status (the list page) carries the job's state and the URL of its JSON status
//   (awards:list-status). While the job is queued or running, the status is fetched every
//   second and the progress bar, percentage and step follow it; once the job has finished the
//   page reloads to show the new entries. Without JavaScript the page shows the state at the
//   time it was loaded, and a reload shows how far the job is.
// - A form marked data-once disables its buttons once sent, so a double click sends it once
//   (the server refuses a repeated one-time token as well). data-confirm asks first.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    // Disabled after the event, so the pressed button's own value is still sent.
    window.setTimeout(function () {
      form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  var box = document.getElementById("generation-status");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var percent = box.querySelector("[data-percent]");
  var stateLabel = box.querySelector("[data-state-label]");
  var step = box.querySelector("[data-step]");
  var error = box.querySelector("[data-error]");
  var hint = box.querySelector(".noscript-hint");
  if (hint) hint.hidden = true;

  function running(state) {
    return state === "queued" || state === "running";
  }

  function show(data) {
    box.setAttribute("data-state", data.state);
    box.className = box.className.replace(/\bstate-\S+/, "state-" + data.state);
    if (bar) {
      bar.value = data.progress;
      bar.textContent = data.progress + "%";
    }
    if (percent) percent.textContent = data.progress + "%";
    if (stateLabel) stateLabel.textContent = data.state_display;
    if (step) step.textContent = data.step_display;
    if (error) {
      error.textContent = data.error || "";
      error.hidden = !data.error;
    }
  }

  function poll() {
    fetch(url, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (running(data.state)) {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }

  if (running(box.getAttribute("data-state"))) window.setTimeout(poll, 1000);
})();
