// The interview page: never lose what was typed.
//
// Every change is written to this browser's storage first, then saved to the server in the
// background. The browser copy of a page is dropped only once the server holds the same
// answers, so a closed tab, a reload, a dropped connection or an expired login all come back
// to the same answers: on the next visit of the page, what the server lacks is put back into
// the form and saved.
(function () {
  "use strict";
  var form = document.getElementById("interview-form");
  if (!form) return;

  var assessment = form.dataset.assessment;
  var step = form.dataset.step;
  var status = document.getElementById("autosave-status");
  var key = function (s) { return "diagnose:assessment:" + assessment + ":" + s; };
  var messages = JSON.parse(document.getElementById("autosave-messages").textContent);
  var context = JSON.parse(form.dataset.answers || "{}");
  var timer = null;
  var inFlight = false;
  var again = false;
  var retryTimer = null;
  var unsaved = false;  // answers changed that the server does not hold yet

  // Fields that are answers: everything but the token and the page's own bookkeeping.
  function snapshot() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.name === "step" || el.type === "submit") return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (!(el.name in values)) values[el.name] = [];
        if (el.checked) values[el.name].push(el.value);
      } else {
        values[el.name] = [el.value];
      }
    });
    return values;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function restore(values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!(el.name in values)) return;
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values[el.name].indexOf(el.value) !== -1;
      } else if (el.type !== "submit" && el.type !== "hidden") {
        el.value = values[el.name][0] || "";
      }
    });
  }

  function keep(values) {
    try {
      localStorage.setItem(key(step), JSON.stringify({ values: values, at: Date.now() }));
    } catch (e) { /* storage full or disabled: the server save still runs */ }
  }

  function kept(s) {
    try { return JSON.parse(localStorage.getItem(key(s)) || "null"); } catch (e) { return null; }
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = "autosave-status " + (kind || "");
  }

  function body(values) {
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append("step", step);
    Object.keys(values).forEach(function (name) {
      values[name].forEach(function (v) { data.append(name, v); });
    });
    return data;
  }

  function renewToken() {
    return fetch(form.dataset.csrfUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("token"); return r.json(); })
      .then(function (j) { form.elements.csrf_token.value = j.csrf_token; });
  }

  function save(renewed) {
    if (inFlight) { again = true; return; }
    var values = snapshot();
    inFlight = true;
    say(messages.saving, "busy");
    fetch(form.dataset.autosaveUrl, {
      method: "POST", body: body(values), credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "fetch" }, redirect: "error",
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { r: r, j: j }; });
    }).then(function (res) {
      inFlight = false;
      if (res.r.ok) {
        var pending = kept(step);
        if (pending && same(pending.values, values)) localStorage.removeItem(key(step));
        if (same(snapshot(), values)) unsaved = false;
        var t = new Date();
        // Korea time, wherever the browser is
        say(messages.saved.replace("%(time)s", t.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Seoul" })), "ok");
      } else if (res.r.status === 400 && res.j.error === "csrf" && !renewed) {
        return renewToken().then(function () { save(true); }, offline);
      } else if (res.r.status === 422 && res.j.errors) {
        // Refused as it stands (a note over its limit): kept in this browser, not retried
        // until it changes; the server says why, in the page's language.
        say(res.j.message + " " + res.j.errors.map(function (e) { return e.message; }).join(" "), "error");
      } else if (res.r.status === 401) {
        say(messages.login, "error");
        var link = document.createElement("a");
        link.href = form.dataset.loginUrl;
        link.textContent = messages.loginLink;
        status.appendChild(document.createTextNode(" "));
        status.appendChild(link);
      } else {
        offline();
      }
      if (again) { again = false; schedule(); }
    }).catch(function () { inFlight = false; offline(); });
  }

  function offline() {
    say(messages.offline, "error");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { save(false); }, 15000);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { save(false); }, 800);
  }

  // Skip logic, live: items whose condition no longer holds are hidden (their answers kept).
  function holds(cond, answers) {
    if (cond.all) return cond.all.every(function (c) { return holds(c, answers); });
    if (cond.any) return cond.any.some(function (c) { return holds(c, answers); });
    var given = answers[cond.item] || [];
    if (cond.in) return given.some(function (v) { return cond.in.indexOf(v) !== -1; });
    return !given.some(function (v) { return cond.not_in.indexOf(v) !== -1; });
  }

  function applySkipLogic() {
    var answers = Object.assign({}, context, snapshot());
    form.querySelectorAll("[data-show-if]").forEach(function (fs) {
      fs.hidden = !holds(JSON.parse(fs.dataset.showIf), answers);
    });
  }

  // "Not applicable" and exclusive options ("none of these") clear the other boxes.
  function exclusive(el) {
    if (el.type !== "checkbox" || !el.checked) return;
    var group = form.querySelectorAll('input[type=checkbox][name="' + el.name + '"]');
    var isExclusive = el.dataset.exclusive === "1" || el.value === "_na";
    group.forEach(function (other) {
      if (other === el) return;
      if (isExclusive || other.dataset.exclusive === "1" || other.value === "_na") other.checked = false;
    });
  }

  // The progress beside the page follows the answers as they are given; a follow-up the
  // answers hide counts in neither the answered nor the total.
  var pageCount = document.querySelector(".steps li.current .count");
  var overall = document.querySelector(".steps progress");
  var overallDone = document.querySelector(".steps .overall .done");
  var overallTotal = document.querySelector(".steps .overall .total");
  function shownHere() {
    return Array.prototype.filter.call(form.querySelectorAll("fieldset.item"), function (fs) { return !fs.hidden; });
  }
  function answeredHere() {
    var values = snapshot();
    return shownHere().filter(function (fs) {
      return (values[fs.dataset.item] || []).some(function (v) { return v !== ""; });
    }).length;
  }
  var startHere = answeredHere();
  var startShown = shownHere().length;
  var startOverall = overall ? Number(overall.value) : 0;
  var startTotal = overall ? Number(overall.max) : 0;
  function updateProgress() {
    if (!pageCount) return;
    var now = answeredHere();
    var shown = shownHere().length;
    pageCount.textContent = now + "/" + shown;
    if (!overall) return;
    var total = startTotal - startShown + shown;
    overall.max = total;
    overall.value = startOverall - startHere + now;
    overall.textContent = overall.value + "/" + total;
    if (overallDone) overallDone.textContent = String(overall.value);
    if (overallTotal) overallTotal.textContent = String(total);
  }

  function changed(event) {
    if (event && event.target) exclusive(event.target);
    keep(snapshot());
    unsaved = true;
    applySkipLogic();
    updateProgress();
    schedule();
  }

  // 1. What this browser holds that the server does not: put it back and save it.
  var saved = form.dataset.savedStep;
  if (saved && saved !== step) {
    var prev = kept(saved);
    if (prev && prev.submitted) localStorage.removeItem(key(saved));
  }
  var pending = kept(step);
  if (pending) {
    if (same(pending.values, snapshot())) {
      localStorage.removeItem(key(step));
    } else {
      restore(pending.values);
      unsaved = true;
      say(messages.restored, "ok");
      save(false);
    }
  }
  applySkipLogic();
  // On a narrow screen the steps are a sideways row: bring the current one into view.
  var current = document.querySelector(".steps li.current");
  if (current && current.parentNode.scrollWidth > current.parentNode.clientWidth) {
    current.parentNode.scrollLeft = current.offsetLeft - current.parentNode.offsetLeft - 16;
  }
  var firstError = form.querySelector(".has-error");
  if (firstError) firstError.scrollIntoView({ block: "center" });

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Leaving by a button posts the page itself; mark the browser copy so the next page, once
  // the server has taken the post, can drop it.
  form.addEventListener("submit", function () {
    clearTimeout(timer);
    unsaved = false;  // the page's own post carries them
    var values = snapshot();
    try { localStorage.setItem(key(step), JSON.stringify({ values: values, at: Date.now(), submitted: true })); } catch (e) {}
  });
  window.addEventListener("online", function () { save(false); });
  // A tab closed mid-typing: send what is pending without waiting for the timer.
  window.addEventListener("pagehide", function () {
    if (unsaved && navigator.sendBeacon) {
      clearTimeout(timer);
      navigator.sendBeacon(form.dataset.autosaveUrl, body(snapshot()));
    }
  });
})();
