// sealift console: the little the pages need beyond HTML forms. No library, nothing
// loaded from elsewhere. The CSRF token of the session is on <body data-csrf>.
"use strict";

function csrf() {
  return document.body.dataset.csrf || "";
}

// Upload a bundle as the request body, streamed by the browser, with progress; the server
// imports it as it arrives. After a break, choosing the same file again sends it anew and
// the import keeps what it had verified.
function setupUpload(form) {
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const error = document.getElementById("upload-error");
  const button = form.querySelector("button");
  const fail = (text) => {
    error.textContent = text;
    error.hidden = false;
    button.disabled = false;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return;
    const key = [file.name, file.size, file.lastModified, Date.now()].join("/");
    const query = "key=" + encodeURIComponent(key) + "&name=" + encodeURIComponent(file.name);
    // When the server stopped reading (its import failed early), the answer may be lost:
    // the job the upload started says what happened.
    const lost = async () => {
      const known = await fetch("/api/uploads?" + query, { credentials: "same-origin" });
      const job = known.ok ? (await known.json()).job : null;
      if (job) window.location.assign("/jobs/" + job);
      else fail(status.dataset.interrupted);
    };
    button.disabled = true;
    error.hidden = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/import/upload?" + query);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    bar.hidden = false;
    status.textContent = status.dataset.uploading;
    xhr.upload.onprogress = (e) => {
      bar.value = (100 * e.loaded) / file.size;
    };
    xhr.onload = () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      if (xhr.status === 200 && answer.url) {
        status.textContent = status.dataset.uploaded;
        window.location.assign(answer.url);
      } else if (answer.error) {
        fail(answer.error);
      } else {
        lost();
      }
    };
    xhr.onerror = lost;
    xhr.send(file);
  });
}

// A running job's page follows the job; when it ends, the page is shown anew.
function followJob(element) {
  const lines = document.getElementById("job-lines");
  const label = document.getElementById("job-label");
  const bar = document.getElementById("job-progress");
  const tick = async () => {
    const answer = await fetch("/api/jobs/" + element.dataset.job, { credentials: "same-origin" });
    if (!answer.ok) return;
    const job = await answer.json();
    lines.textContent = job.lines.map((l) => l + "\n").join("");
    if (label) label.textContent = job.label;
    if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
    if (job.state !== "running") { window.location.reload(); return; }
    setTimeout(tick, 700);
  };
  setTimeout(tick, 700);
}

// The log page's live tail.
function followLog(pre) {
  const follow = document.getElementById("follow");
  const tick = async () => {
    if (follow.checked) {
      const answer = await fetch(pre.dataset.logs, { credentials: "same-origin" });
      if (answer.ok) {
        const body = await answer.json();
        pre.textContent = (body.lines || []).map((l) => l + "\n").join("");
        pre.scrollTop = pre.scrollHeight;
      }
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-upload]").forEach(setupUpload);
  document.querySelectorAll("[data-job][data-state=running]").forEach(followJob);
  document.querySelectorAll("pre[data-logs]").forEach(followLog);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  document.querySelectorAll("a[data-back]").forEach((a) => {
    a.addEventListener("click", (event) => {
      if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
    });
  });
});
