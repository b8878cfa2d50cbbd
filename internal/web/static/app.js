// kapstone: small progressive enhancements. Every page works without this.
(function () {
  "use strict";

  // Medication check as you type: ask the server what a medication line is.
  // Without JavaScript the same check runs when the form is saved.
  function debounce(fn, ms) {
    var t;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function describe(m, staff) {
    if (!m.recognised) {
      return staff ? "Not recognised: review" : "Not recognised yet. That's fine: your care team will read it.";
    }
    var also = m.also && m.also.length ? " (also: " + m.also.join(", ") + ")" : "";
    var unknown = m.unmatched && m.unmatched.length ? "; not recognised: " + m.unmatched.join(", ") : "";
    if (!staff) {
      return "Recognised: " + m.generic + also + unknown;
    }
    var parts = [m.generic];
    if (m.class) { parts.push(m.class); }
    if (m.level) { parts.push(m.level); }
    return parts.join(" · ") + also + unknown;
  }

  document.querySelectorAll("input[data-med-lookup]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("aria-describedby"));
    var staff = input.form && input.form.hasAttribute("data-staff");
    if (!out) { return; }
    var check = debounce(function () {
      var q = input.value.trim();
      if (q.length < 3) { out.textContent = ""; return; }
      fetch("/medications/lookup?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) {
          if (!m || input.value.trim() !== q) { return; }
          out.textContent = describe(m, staff);
          out.className = "field-hint med-check" + (m.level ? " med-" + m.level : "") + (m.recognised ? "" : " med-unknown");
        })
        .catch(function () { /* offline: the check runs on save */ });
    }, 350);
    input.addEventListener("input", check);
  });

  // Booking: the length field's hint follows the chosen kind's usual
  // length. Without JavaScript an empty length still takes it on save.
  document.querySelectorAll("select[data-minutes-for]").forEach(function (select) {
    var input = document.getElementById(select.getAttribute("data-minutes-for"));
    if (!input) { return; }
    select.addEventListener("change", function () {
      var opt = select.options[select.selectedIndex];
      if (opt && opt.getAttribute("data-minutes")) { input.placeholder = opt.getAttribute("data-minutes"); }
    });
  });

  // Dosing session. Each entry form saves on its own. If the connection
  // drops, the entry waits in this tab (sessionStorage: gone when the tab
  // closes) and is sent again when the connection is back or the page
  // reloads; the server keeps it once, by its client id. Text typed but
  // not yet saved is kept the same way, so a reload loses nothing.
  var QUEUE = "kapstone.dosing.queue";
  function readQueue() {
    try { return JSON.parse(sessionStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(q) {
    try { sessionStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { /* storage full or off */ }
  }
  function send(item) {
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", redirect: "follow",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: item.body
    }).then(function (r) {
      // Sent to the sign-in page: the sign-in has ended; keep the entry.
      if (r.redirected && r.url.indexOf("/dosing/") === -1) { throw new Error("signed out"); }
      // 4xx: the server read the entry and refused it (say, a blood
      // pressure that cannot be right); the form is posted normally to
      // show why, with what was typed.
      if (r.status >= 400 && r.status < 500) { return { refused: true }; }
      if (!r.ok) { throw new Error("server " + r.status); }
      return {};
    });
  }
  var flushing = false;
  function flush() {
    var q = readQueue();
    if (flushing || !q.length) { return Promise.resolve(); }
    flushing = true;
    var item = q[0];
    return send(item).then(function () {
      writeQueue(readQueue().filter(function (x) { return x.id !== item.id; }));
      flushing = false;
      return flush().then(function () { if (!readQueue().length) { location.assign(location.pathname); } });
    }).catch(function () { flushing = false; showPending(); });
  }
  function showPending() {
    var n = readQueue().length;
    document.querySelectorAll(".entry-state").forEach(function (el) {
      el.textContent = n ? n + (n === 1 ? " entry is" : " entries are") + " kept on this device and will be sent when the connection is back (if your sign-in has ended, sign in again in this tab)." : "";
    });
  }
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "kapstone.draft." + form.getAttribute("data-draft");
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && !form.querySelector(".field-error")) {
      Object.keys(saved).forEach(function (name) {
        var el = form.elements[name];
        if (el && el.type !== "hidden" && el.type !== "checkbox" && el.type !== "radio" && !el.value) { el.value = saved[name]; }
      });
    }
    form.addEventListener("input", function () {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.type !== "hidden" && el.type !== "checkbox" && el.type !== "radio" && el.value) { data[el.name] = el.value; }
      });
      try { sessionStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* off */ }
    });
    form.addEventListener("submit", function () { try { sessionStorage.removeItem(key); } catch (e) { /* off */ } });
  });
  document.querySelectorAll("form[data-entry]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = new URLSearchParams(new FormData(form)).toString();
      var item = { id: (form.elements.client_id || {}).value || String(Date.now()), url: form.getAttribute("action"), body: body };
      var q = readQueue();
      if (!q.some(function (x) { return x.id === item.id; })) { q.push(item); writeQueue(q); }
      var state = form.querySelector(".entry-state");
      if (state) { state.textContent = "Saving…"; }
      send(item).then(function (res) {
        writeQueue(readQueue().filter(function (x) { return x.id !== item.id; }));
        if (res.refused) { form.submit(); return; }
        location.assign(location.pathname); // the page as it now stands, without an old notice
      }).catch(function () { showPending(); });
    });
  });
  if (document.querySelector("form[data-entry]")) {
    showPending();
    flush();
    window.addEventListener("online", flush);
    setInterval(flush, 15000);
  }
  // While the dose is running the clinician is with the patient by design:
  // the session page keeps their sign-in from timing out (within the
  // absolute limit), with a request that reads nothing.
  document.querySelectorAll("[data-keepalive]").forEach(function (el) {
    var url = el.getAttribute("data-keepalive");
    setInterval(function () { fetch(url, { credentials: "same-origin" }).catch(function () {}); }, 4 * 60000);
  });
  // The time since the dose, kept current.
  document.querySelectorAll("time[data-since]").forEach(function (el) {
    var since = Date.parse(el.getAttribute("data-since"));
    function tick() {
      var m = Math.max(0, Math.floor((Date.now() - since) / 60000));
      el.textContent = m < 60 ? m + " min" : Math.floor(m / 60) + " h " + (m % 60) + " min";
    }
    tick();
    setInterval(tick, 20000);
  });
})();
