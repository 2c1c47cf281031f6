// Support box and discussion: small enhancements; every form works without JavaScript.
(() => {
  if (window.kyosoEngagement) return; // both partials include this file
  window.kyosoEngagement = true;

  document.addEventListener("DOMContentLoaded", () => {
    // A live "n left" counter under textareas with data-maxlength, in the page's language:
    // data-left-one and data-left-many are the translated sentences ("{n}" is the number).
    document.querySelectorAll("textarea[data-maxlength]").forEach((area) => {
      const max = Number(area.dataset.maxlength);
      const number = new Intl.NumberFormat(document.documentElement.lang || undefined);
      const sentence = (left) => {
        const template = Math.abs(left) === 1 ? area.dataset.leftOne : area.dataset.leftMany;
        return (template || "{n}").replace("{n}", number.format(left));
      };
      const counter = document.createElement("p");
      counter.className = "char-count";
      counter.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", counter);
      const update = () => {
        const left = max - area.value.length;
        counter.textContent = left < max / 5 ? sentence(left) : "";
        counter.classList.toggle("over", left < 0);
      };
      area.addEventListener("input", update);
      update();
    });

    // Opening "Reply", "Edit" or "Report" puts the cursor in its field.
    document.querySelectorAll("details.comment-action, details.post-update").forEach((box) => {
      box.addEventListener("toggle", () => {
        if (!box.open) return;
        const field = box.querySelector("textarea, input[type=text]");
        if (field) field.focus();
      });
    });

    // Keep a price to digits and one decimal point as it is typed.
    const price = document.getElementById("support-price");
    if (price) {
      price.addEventListener("input", () => {
        const cleaned = price.value.replace(/[^0-9.,]/g, "");
        if (cleaned !== price.value) price.value = cleaned;
      });
    }

    // A button pressed once is enough: avoid double posts on slow connections.
    document.querySelectorAll(".support-form, .comment-form").forEach((form) => {
      form.addEventListener("submit", () => {
        form.querySelectorAll("button[type=submit]").forEach((button) => {
          window.setTimeout(() => { button.disabled = true; }, 0);
        });
      });
    });
  });
})();
