// Surveys: a question with a condition (data-show-if-key / -equals) is shown only when the
// earlier answer matches; hidden questions' inputs are disabled, so they are not sent. Without
// JavaScript every question is shown and the server ignores answers to questions not asked.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector(".survey-form");
  if (!form) return;
  const questions = Array.from(form.querySelectorAll("fieldset.question"));
  const answerOf = (key) => {
    const q = form.querySelector(`fieldset[data-question="${CSS.escape(key)}"]`);
    if (!q || q.hidden) return [];
    return Array.from(q.querySelectorAll("input, textarea")).filter((input) =>
      (input.type === "radio" || input.type === "checkbox") ? input.checked : input.value.trim() !== ""
    ).map((input) => input.value.trim());
  };
  const update = () => {
    questions.forEach((q) => {
      const key = q.dataset.showIfKey;
      if (!key) return;
      const shown = answerOf(key).includes(q.dataset.showIfEquals);
      q.hidden = !shown;
      q.querySelectorAll("input, textarea").forEach((input) => { input.disabled = !shown; });
    });
  };
  form.querySelectorAll(".show-if-hint").forEach((hint) => { hint.hidden = true; });
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
});
