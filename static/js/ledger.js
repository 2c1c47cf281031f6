// Ledger pages: while a checked sales file is being posted, poll its status and show the
// progress. The form still submits normally (the page works without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.import-confirm[data-status-url]").forEach((form) => {
    const box = form.querySelector(".import-progress");
    const bar = box && box.querySelector("progress");
    const label = box && box.querySelector(".progress-label");
    if (!box || !bar) return;
    let timer = null;
    const poll = () => {
      fetch(form.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((status) => {
          if (!status) return;
          if (status.total) bar.max = status.total;
          bar.value = status.done || 0;
          if (label) label.textContent = `${status.done || 0} / ${status.total || 0}`;
          if (status.state === "done" || status.state === "failed") window.clearInterval(timer);
        })
        .catch(() => {});
    };
    form.addEventListener("submit", () => {
      box.hidden = false;
      form.querySelectorAll("button[type=submit]").forEach((button) => {
        // Disable after the submission has started, so the button's value is still sent.
        window.setTimeout(() => { button.disabled = true; }, 0);
      });
      timer = window.setInterval(poll, 500);
    });
  });
});
