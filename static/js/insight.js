// The guided insight: live hints per step (how many characters are still needed, placeholder
// text spotted, the last "why?" shown above the next one), the progress of the required parts,
// and the core's template. Hints only: the server applies the same rules (app/services/insight.py).
// Without this script every step is shown with its question and example.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".insight-guide").forEach((guide) => {
    let rules;
    try { rules = JSON.parse(guide.dataset.insightRules); } catch (error) { return; }
    const words = new Set(rules.words);
    const cjk = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f\uac00-\ud7af]/;
    const weight = (text) => [...text].reduce((n, ch) => n + (/\s/.test(ch) ? 0 : cjk.test(ch) ? 2 : 1), 0);
    const letters = (text) => [...text.normalize("NFKC").toLowerCase()].filter((ch) => /[\p{L}\p{N}]/u.test(ch)).join("");
    const isPlaceholder = (text) => {
      const l = letters(text);
      if (!l || /^\p{N}+$/u.test(l)) return true;
      if (words.has(l) || l.includes("loremipsum")) return true;
      const parts = text.split(/\s+/).map(letters).filter(Boolean);
      if (parts.length && parts.every((w) => words.has(w))) return true;
      if (new Set(l).size <= 2) return true;
      if (/^(.{1,4}?)\1+$/u.test(l)) return true;
      return l.length >= 3 && l.length <= 12 && rules.rows.some((row) => row.includes(l));
    };
    const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
    const fields = [...guide.querySelectorAll("[data-part]")];
    const progress = guide.querySelector(".insight-progress");

    const update = () => {
      let done = 0;
      fields.forEach((field) => {
        const part = field.dataset.part;
        const live = document.getElementById(`live-${part}`);
        const text = field.value.trim();
        const need = rules.minimum[part] || 0;
        const have = weight(text);
        let message = "";
        let state = "";
        if (!text) {
          message = need ? fill(rules.messages.minimum, { n: need }) : "";
        } else if (isPlaceholder(text)) {
          message = rules.messages.placeholder; state = "warn";
        } else if (have < need) {
          message = fill(rules.messages.short, { n: need - have }); state = "warn";
        } else {
          message = rules.messages.ok; state = "ok";
          if (rules.required.includes(part)) done += 1;
        }
        if (live) { live.textContent = message; live.dataset.state = state; }
        field.closest(".insight-step").dataset.state = state;
      });
      guide.querySelectorAll(".step-previous").forEach((box) => {
        const previous = guide.querySelector(`[data-part="${box.dataset.previous}"]`);
        const text = previous ? previous.value.trim() : "";
        box.hidden = !text;
        box.textContent = text ? `${rules.messages.previous} ${text}` : "";
      });
      progress.hidden = false;
      progress.textContent = fill(rules.messages.progress, { done, total: rules.required.length });
    };

    fields.forEach((field) => field.addEventListener("input", update));
    const template = guide.querySelector(".core-template");
    const core = guide.querySelector('[data-part="core"]');
    if (template && core) {
      template.hidden = false;
      template.addEventListener("click", () => {
        if (!core.value.trim()) core.value = template.dataset.template;
        core.focus();
        update();
      });
    }
    update();
  });
});
