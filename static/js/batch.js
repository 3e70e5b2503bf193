// Batch printing: the progress bar follows the batch's status (polled JSON) until the file is
// ready; the page works without it too (reload shows the same figures).
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box) return;
  var bar = document.getElementById("batch-progress");
  var message = document.getElementById("batch-message");
  var download = document.getElementById("batch-download");
  var failures = document.getElementById("batch-failures");
  var list = document.getElementById("batch-failure-list");
  var url = box.getAttribute("data-status-url");
  var delay = 500;

  function show(state) {
    bar.max = state.total;
    bar.value = state.done + state.failed;
    bar.textContent = state.percent + "%";
    message.textContent = state.message;
    if (state.failures.length) {
      failures.hidden = false;
      list.textContent = "";
      state.failures.forEach(function (f) {
        var item = document.createElement("li");
        item.textContent = f.firm;
        list.appendChild(item);
      });
    }
    if (state.download_url) {
      download.hidden = false;
      download.querySelector("a").href = state.download_url;
    }
    return state.status === "done" || state.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && show(state)) return;
        delay = Math.min(delay * 1.2, 2000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
