// Ledger pages: show a sales import's posting progress by polling its small JSON endpoint.
// Without JavaScript the pages still work: the form submits normally and the job page
// refreshes itself (a <noscript> meta refresh) while the job runs.
(() => {
  const fetchProgress = (url) =>
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null);

  const show = (bar, label, progress) => {
    if (progress.total) bar.max = progress.total;
    bar.value = progress.done || 0;
    if (label) label.textContent = `${progress.done || 0} / ${progress.total || 0}`;
  };

  const finished = (progress) =>
    progress && (progress.status === "done" || progress.status === "failed" || progress.stalled);

  document.addEventListener("DOMContentLoaded", () => {
    // The preview: once "Post" is pressed, the request may run until the job ends; show its
    // progress meanwhile.
    document.querySelectorAll("form.import-confirm[data-progress-url]").forEach((form) => {
      const box = form.querySelector(".import-progress");
      const bar = box && box.querySelector("progress");
      if (!box || !bar) return;
      const label = box.querySelector(".progress-label");
      let timer = null;
      form.addEventListener("submit", () => {
        box.hidden = false;
        form.querySelectorAll("button[type=submit]").forEach((button) => {
          // Disable after the submission has started, so the button's value is still sent.
          window.setTimeout(() => { button.disabled = true; }, 0);
        });
        timer = window.setInterval(() => {
          fetchProgress(form.dataset.progressUrl).then((progress) => {
            if (!progress) return;
            show(bar, label, progress);
            if (finished(progress)) window.clearInterval(timer);
          });
        }, 1000);
      });
    });

    // The job page: poll while the job runs, then reload to show the outcome.
    document.querySelectorAll(".import-job[data-progress-url]").forEach((panel) => {
      const bar = panel.querySelector("progress");
      const label = panel.querySelector(".progress-label");
      if (!bar) return;
      const timer = window.setInterval(() => {
        fetchProgress(panel.dataset.progressUrl).then((progress) => {
          if (!progress) return;
          show(bar, label, progress);
          if (finished(progress)) {
            window.clearInterval(timer);
            window.location.reload();
          }
        });
      }, 1000);
    });
  });
})();
