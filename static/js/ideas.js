// Idea drafting: "Check for similar ideas" fetches a server-rendered fragment (already escaped)
// and shows it under the title. The page works without it; the button is hidden until this runs.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".similar-check").forEach((box) => {
    const form = box.closest("form");
    const title = form && form.querySelector("[name=title]");
    const pitch = form && form.querySelector("[name=pitch]");
    const button = box.querySelector(".similar-button");
    const results = box.querySelector(".similar-results");
    if (!title || !button || !results) return;
    let last = null;

    const check = async () => {
      const text = title.value.trim();
      if (text.length < 3 || text === last) return;
      last = text;
      const params = new URLSearchParams({ title: text });
      if (pitch && pitch.value.trim()) params.set("pitch", pitch.value.trim());
      if (box.dataset.similarExclude) params.set("exclude", box.dataset.similarExclude);
      button.disabled = true;
      try {
        const response = await fetch(`${box.dataset.similarUrl}?${params}`, {
          headers: { Accept: "text/html" }, credentials: "same-origin",
        });
        if (response.ok) results.innerHTML = await response.text();
      } catch (error) {
        last = null; // try again next time
      } finally {
        button.disabled = false;
      }
    };

    button.hidden = false;
    button.addEventListener("click", () => { last = null; check(); });
    title.addEventListener("blur", check);
  });

  // Idea page: a gallery thumbnail shows its picture in the large frame instead of leaving.
  const hero = document.querySelector(".idea-hero img");
  document.querySelectorAll(".idea-main .gallery a").forEach((link) => {
    if (!hero) return;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      hero.src = link.href;
      document.querySelectorAll(".idea-main .gallery a.current").forEach((a) => a.classList.remove("current"));
      link.classList.add("current");
    });
  });
});
