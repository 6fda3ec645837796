"use strict";
// Scoring set-up pages: "select all" boxes of the assignment page, the running total of the
// weights form, and a question before a form marked data-confirm is sent (deleting a
// criterion).
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute?.("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

[["select-all", 'input[name="projects"]'], ["select-all-evaluators", 'input[name="evaluators"]']].forEach(([id, selector]) => {
  document.getElementById(id)?.addEventListener("change", function () {
    document.querySelectorAll(selector).forEach((box) => { box.checked = this.checked; });
  });
});

// Show the running total while typing; the server decides whether it adds up to 1.
document.querySelectorAll("form[data-weights]").forEach((form) => {
  const output = form.querySelector("[data-total]");
  const update = () => {
    let total = 0;  // in ten-thousandths, so 0.1 + 0.2 shows as 0.3
    form.querySelectorAll("input[data-weight]").forEach((input) => {
      const value = parseFloat(input.value);
      if (!Number.isNaN(value)) total += Math.round(value * 10000);
    });
    output.textContent = String(total / 10000);
    output.classList.toggle("error", total !== 10000);
  };
  form.addEventListener("input", update);
  update();
});
