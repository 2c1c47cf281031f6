// Small progressive enhancements; the site works without JavaScript.
// The browser's time zone, for times shown before a member chooses one (app/i18n.py).
(() => {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const known = document.cookie.split("; ").find((c) => c.startsWith("tz="));
    if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) && (!known || known.slice(3) !== zone)) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* no Intl: the language's time zone stays */ }
})();
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  // The account menu (a <details>) closes on a click elsewhere or on Escape.
  const menus = document.querySelectorAll("details.user-menu");
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus.forEach((menu) => {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
  // Buttons that ask before a destructive action: <button data-confirm="Really?">
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
  // Wide tables on a narrow screen: a caption says they scroll sideways and the cut-off
  // edge fades until the reader reaches it.
  const hint = document.body.dataset.scrollHint;
  const scrollers = document.querySelectorAll(".table-scroll");
  const mark = () => scrollers.forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("scrolls", scrolls);
    box.classList.toggle("at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 2);
    let note = box.previousElementSibling;
    if (!note || !note.classList.contains("scroll-hint")) {
      if (!scrolls || !hint) return;
      note = document.createElement("p");
      note.className = "scroll-hint";
      note.textContent = hint;
      box.before(note);
    }
    note.hidden = !scrolls;
  });
  scrollers.forEach((box) => box.addEventListener("scroll", () => {
    box.classList.toggle("at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 2);
  }, { passive: true }));
  mark();
  window.addEventListener("resize", mark);
  // Markdown preview: the server renders the text as it will be saved (POST /preview);
  // without JavaScript the same button posts the form and its page shows the preview.
  document.querySelectorAll("button[data-preview]").forEach((button) => {
    button.addEventListener("click", async (event) => {
      const form = button.form;
      const source = form && form.querySelector(`textarea[name="${button.dataset.preview}"]`);
      const out = button.parentElement.querySelector(".md-preview-out");
      if (!source || !out) return;
      event.preventDefault();
      const shown = out.querySelector(".prose");
      out.hidden = false;
      if (!source.value.trim()) { shown.textContent = button.dataset.previewEmpty; return; }
      const body = new FormData();
      body.append("csrf_token", form.querySelector('input[name="csrf_token"]').value);
      body.append("text", source.value);
      button.disabled = true;
      try {
        const answer = await fetch(button.dataset.previewUrl, {
          method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (!answer.ok) throw new Error(String(answer.status));
        shown.innerHTML = (await answer.json()).html;  // sanitised by the server (app/markdown.py)
      } catch (e) {
        shown.textContent = button.dataset.previewFailed;
      } finally {
        button.disabled = false;
      }
    });
  });
});
