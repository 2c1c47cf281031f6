// Idea pictures: choose several at once or drop them; each is sent on its own (the server
// processes one picture at a time), with its progress and then its processed thumbnail; the
// pictures section is then shown again as the server renders it (order, cover, buttons).
// Without JavaScript the same form posts every chosen file at once.
(() => {
  const init = (section) => {
    const form = section.querySelector("form.upload-form");
    if (!form) return;
    const input = form.querySelector('input[type="file"]');
    const zone = form.querySelector(".drop-zone");
    const list = form.querySelector(".upload-progress");
    const button = form.querySelector(".upload-button");
    const text = form.dataset;
    let busy = false;

    const row = (file) => {
      const item = document.createElement("li");
      item.className = "upload-row";
      const thumb = document.createElement("img");
      thumb.alt = "";
      thumb.hidden = true;
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      const status = document.createElement("span");
      status.className = "upload-status";
      status.textContent = text.waiting;
      item.append(thumb, name, bar, status);
      list.append(item);
      return { item, thumb, bar, status };
    };

    const send = (file, shown) => new Promise((resolve) => {
      const body = new FormData();
      body.append("csrf_token", form.querySelector('input[name="csrf_token"]').value);
      body.append(input.name, file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      shown.status.textContent = text.uploading;
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) shown.bar.value = Math.round((event.loaded / event.total) * 100);
      });
      xhr.upload.addEventListener("load", () => {
        shown.bar.removeAttribute("value"); // the server is processing: no measure of it
        shown.status.textContent = text.processing;
      });
      xhr.addEventListener("loadend", () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (e) { /* an HTML error page */ }
        if (xhr.status === 201 && answer.thumb) {
          shown.bar.value = 100;
          shown.thumb.src = answer.thumb;
          shown.thumb.hidden = false;
          shown.status.textContent = text.done;
          shown.item.classList.add("is-done");
          resolve(true);
        } else {
          shown.bar.value = 0;
          shown.status.textContent = answer.error || text.failed;
          shown.item.classList.add("is-refused");
          resolve(answer.code !== "too_many_images" && answer.code !== "too_many_uploads");
        }
      });
      xhr.send(body);
    });

    const refresh = async () => {
      try {
        const page = await fetch(window.location.pathname, { credentials: "same-origin" });
        if (!page.ok) return;
        const fresh = new DOMParser().parseFromString(await page.text(), "text/html")
          .getElementById("images");
        if (!fresh) return;
        const keep = list.cloneNode(true);  // what happened stays readable
        section.replaceWith(fresh);
        const freshList = fresh.querySelector(".upload-progress");
        if (freshList) { freshList.replaceWith(keep); } else { fresh.append(keep); }
        init(fresh);
      } catch (e) { /* the uploaded pictures show on the next visit */ }
    };

    const upload = async (files) => {
      if (busy || !files.length) return;
      busy = true;
      list.hidden = false;
      list.replaceChildren();
      const room = Number(text.room);
      const chosen = Array.from(files).slice(0, room);
      if (files.length > room) {
        const note = document.createElement("li");
        note.className = "upload-note";
        note.textContent = text.tooMany;
        list.append(note);
      }
      const rows = chosen.map(row);
      for (let i = 0; i < chosen.length; i += 1) {
        if (!(await send(chosen[i], rows[i]))) break;  // the limit or the day's quota
      }
      busy = false;
      input.value = "";
      await refresh();
    };

    if (button) button.hidden = true;  // choosing the files starts the upload
    input.addEventListener("change", () => upload(input.files));
    if (zone) {
      ["dragenter", "dragover"].forEach((kind) => zone.addEventListener(kind, (event) => {
        event.preventDefault();
        zone.classList.add("is-over");
      }));
      ["dragleave", "drop"].forEach((kind) => zone.addEventListener(kind, () => {
        zone.classList.remove("is-over");
      }));
      zone.addEventListener("drop", (event) => {
        event.preventDefault();
        upload(event.dataTransfer.files);
      });
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("images");
    if (section) init(section);
  });
})();
