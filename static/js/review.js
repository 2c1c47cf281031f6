// Review pages: show the reviewer's own total (4-12) while they score, and mark the chosen
// score on each axis. Progressive enhancement only: the form works without it.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".score-form");
  if (!form) return;
  const totalLine = form.querySelector("[data-own-total]");
  const totalValue = form.querySelector("[data-own-total-value]");

  const refresh = () => {
    let total = 0;
    let complete = true;
    form.querySelectorAll("fieldset.axis").forEach((fieldset) => {
      const checked = fieldset.querySelector("input[type=radio]:checked");
      fieldset.querySelectorAll(".score-choice").forEach((label) => {
        label.classList.toggle("chosen", Boolean(checked) && label.contains(checked));
      });
      if (checked) total += parseInt(checked.value, 10);
      else complete = false;
    });
    if (totalLine && totalValue) {
      totalValue.textContent = complete ? String(total) : "–";
      totalLine.hidden = false;
    }
  };
  form.addEventListener("change", refresh);
  refresh();
});
