// "Copy link" on an idea page: copies the link instead of following it. Without JavaScript (or
// without a clipboard) it stays a plain link to the idea.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-copy-link]") : null;
    if (!link || !navigator.clipboard || !window.isSecureContext) { return; }
    event.preventDefault();
    var label = link.textContent;
    navigator.clipboard.writeText(link.href).then(function () {
      link.textContent = link.getAttribute("data-copied") || label;
      link.setAttribute("aria-live", "polite");
      window.setTimeout(function () { link.textContent = label; }, 2000);
    }, function () { window.location.href = link.href; });
  });
}());
