// kapstone: small progressive enhancements. Every page works without this.
(function () {
  "use strict";

  // Forms marked data-once (money and sends) are sent once: on submit the
  // form is aria-busy and its buttons aria-disabled, and a second submit
  // (a double click, Enter pressed again) is stopped. Not the disabled
  // attribute: a disabled button's own name and value would not be sent.
  // Back from the back-forward cache, or if no answer came (a stopped
  // load), the form can be sent again. The server keeps its own guard:
  // the payment and send forms carry a one-time key.
  var unlock = function (form) {
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button[aria-disabled], input[type=submit][aria-disabled]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
  };
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("aria-busy") === "true") { ev.preventDefault(); return; }
    if (ev.defaultPrevented) { return; } // another handler sends it its own way
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    setTimeout(function () { unlock(form); }, 15000);
  });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) { document.querySelectorAll("form[data-once][aria-busy]").forEach(unlock); }
  });

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
    var vague = m.vague && m.vague.length ? m.vague.join(", ") : "";
    if (!m.recognised) {
      if (vague) {
        return staff ? "Not named: ask which medicine \u201c" + vague + "\u201d is" : "Which medicine is \u201c" + vague + "\u201d? Write its name if you know it; if not, your care team will ask.";
      }
      return staff ? "Not recognised: review" : "Not recognised yet. That's fine: your care team will read it.";
    }
    var also = m.also && m.also.length ? " (also: " + m.also.join(", ") + ")" : "";
    var unknown = m.unmatched && m.unmatched.length ? "; not recognised: " + m.unmatched.join(", ") : "";
    if (vague) {
      unknown += staff ? "; not named: ask which medicine \u201c" + vague + "\u201d is" : "; which medicine is \u201c" + vague + "\u201d?";
    }
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

  // Booking: the patient search answers as one types. The form goes by
  // POST with find=1 (same origin, so the name is in no URL), and only the
  // list of matches is replaced; without JavaScript, Find (or Enter in the
  // search field) sends the form and it comes back with the matches.
  document.querySelectorAll("button[data-live-find]").forEach(function (button) {
    var form = button.form;
    var results = document.getElementById(button.getAttribute("data-live-find"));
    var input = form && form.elements.namedItem("patient_q");
    if (!results || !input || !window.fetch || !window.FormData || !window.DOMParser) { return; }
    var timer = null, asked = 0;
    var find = function () {
      var n = ++asked;
      var data = new URLSearchParams(new FormData(form));
      data.set("find", "1");
      data.delete("patient");
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.text() : null;
      }).then(function (html) {
        if (html === null || n !== asked) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(results.id);
        if (fresh) { results.replaceChildren.apply(results, Array.prototype.slice.call(fresh.childNodes)); }
      }).catch(function () {});
    };
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(find, 250); });
    button.addEventListener("click", function (ev) { ev.preventDefault(); clearTimeout(timer); find(); });
  });

  // editors (issue 15): the post editor's image upload stays on the page.
  // The image goes up by fetch (same origin: the server's cross-origin
  // check lets it through) and its Markdown goes into the post where the
  // cursor is; the draft is never left. Without JavaScript the button posts
  // the draft along with the image and the editor comes back with both.
  document.querySelectorAll("button[data-inline-upload]").forEach(function (button) {
    var body = document.getElementById(button.getAttribute("data-inline-upload"));
    var file = document.getElementById("upload-image");
    var alt = document.getElementById("upload-alt");
    var status = document.getElementById("upload-status");
    var cover = document.getElementById("post-cover");
    if (!body || !file || !alt || !status || !window.fetch || !window.FormData) { return; }
    var caret = null; // where the cursor was in the post when it left it
    body.addEventListener("blur", function () { caret = [body.selectionStart, body.selectionEnd]; });
    button.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (!file.files.length) {
        status.textContent = "Choose an image to upload.";
        file.focus();
        return;
      }
      var data = new FormData();
      data.append("alt", alt.value);
      data.append("image", file.files[0]);
      button.disabled = true;
      status.textContent = "Uploading\u2026";
      fetch(button.getAttribute("formaction").split("#")[0], {
        method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" }, body: data
      }).then(function (r) {
        return r.json().catch(function () { return null; }).then(function (j) { return { ok: r.ok, j: j }; });
      }).then(function (res) {
        button.disabled = false;
        if (!res.ok || !res.j || !res.j.snippet) {
          var errs = res.j && res.j.errors ? res.j.errors : null;
          status.textContent = errs ? (errs.image || errs.alt || "The upload was refused.") : "The upload did not go through. Your draft is unchanged; please try again.";
          return;
        }
        var at = caret || [body.value.length, body.value.length];
        var before = body.value.slice(0, at[0]), after = body.value.slice(at[1]);
        var text = res.j.snippet;
        if (before && !/\n\n$/.test(before)) { text = (/\n$/.test(before) ? "\n" : "\n\n") + text; }
        if (!/^\n/.test(after)) { text += "\n\n"; }
        body.value = before + text + after;
        var end = before.length + text.length;
        caret = [end, end];
        if (cover) {
          var opt = document.createElement("option");
          opt.value = res.j.id;
          opt.textContent = res.j.label;
          cover.appendChild(opt);
        }
        file.value = "";
        alt.value = "";
        status.textContent = "Image uploaded and put into the post at the cursor: " + res.j.snippet + ". The draft is not saved yet.";
        body.focus();
        body.setSelectionRange(end, end);
      }).catch(function () {
        button.disabled = false;
        status.textContent = "The upload did not go through. Your draft is unchanged; please try again.";
      });
    });
  });

  // Dosing session. Each entry form saves on its own. Every submit gets a
  // fresh id and the time it was made; if the connection drops, the entry
  // waits in this tab (sessionStorage: gone when the tab closes) and is sent
  // again when the connection is back or the page reloads; the server keeps
  // each id once. An entry the server refuses is never dropped: it goes back
  // into its form and is posted normally, so the reason shows at the field
  // with what was typed. Text typed but not yet saved is kept the same way,
  // so a reload loses nothing.
  var QUEUE = "kapstone.dosing.queue";
  function readQueue() {
    try { return JSON.parse(sessionStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(q) {
    try { sessionStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { /* storage full or off */ }
  }
  function freshID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function send(item) {
    return fetch(item.url, {
      method: "POST", credentials: "same-origin", redirect: "follow",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: item.body
    }).then(function (r) {
      // Sent to the sign-in page: the sign-in has ended; keep the entry.
      if (r.redirected && r.url.indexOf("/dosing/") === -1) { throw new Error("signed out"); }
      // 4xx: the server read the entry and refused it.
      if (r.status >= 400 && r.status < 500) { return { refused: true }; }
      if (!r.ok) { throw new Error("server " + r.status); }
      return {};
    });
  }
  // refuse puts a refused entry back into its form and posts it normally.
  function refuse(item) {
    var data = new URLSearchParams(item.body);
    var form = Array.prototype.find.call(document.querySelectorAll("form[data-entry]"), function (f) {
      return f.getAttribute("action").split("#")[0] === item.url && (!f.elements.kind || f.elements.kind.value === data.get("kind"));
    });
    if (!form) { return false; }
    data.forEach(function (v, k) {
      var el = form.elements[k];
      if (!el) { return; }
      if (el instanceof RadioNodeList || el.type === "radio") {
        Array.prototype.forEach.call(form.querySelectorAll('[name="' + k + '"]'), function (r) { r.checked = r.value === v; });
      } else { el.value = v; }
    });
    var t = form.querySelector('input[name="taken_at"]') || form.appendChild(Object.assign(document.createElement("input"), { type: "hidden", name: "taken_at" }));
    t.value = data.get("taken_at") || "";
    leaving = true;
    form.submit();
    return true;
  }
  var lastSection = ""; // the id of the section whose form was last sent
  var flushing = false;
  var leaving = false; // a refused entry is being posted: no other navigation
  function flush() {
    var q = readQueue();
    if (flushing || !q.length) { return Promise.resolve(); }
    flushing = true;
    var item = q[0];
    if (leaving) { return Promise.resolve(); }
    return send(item).then(function (res) {
      writeQueue(readQueue().filter(function (x) { return x.id !== item.id; }));
      flushing = false;
      if (res.refused && refuse(item)) { return; }
      return flush().then(function () {
        if (leaving || readQueue().length) { return; }
        // Show the page as it now stands, unless it is showing why an
        // entry was refused: then leave it, and say the rest arrived.
        if (document.querySelector(".field-error")) {
          document.querySelectorAll(".entry-state").forEach(function (el) { el.textContent = "Every other entry has been saved."; });
          return;
        }
        // Reload at the form last used, so the clinician keeps their place.
        // Its notice says it was saved: every entry has been (none refused).
        // The browser would put the reloaded page back where it was
        // scrolled (at the form's button, far below a tall form's notice):
        // land on the section instead, so its "saved" notice is in view.
        history.scrollRestoration = "manual";
        history.replaceState(null, "", location.pathname + (lastSection ? "?done=" + lastSection + "#" + lastSection : location.hash));
        location.reload();
      });
    }).catch(function () { flushing = false; showPending(); });
  }
  function showPending() {
    var n = readQueue().length;
    document.querySelectorAll(".entry-state").forEach(function (el) {
      el.textContent = n ? n + (n === 1 ? " entry is" : " entries are") + " kept on this device and will be sent when the connection is back (if your sign-in has ended, sign in again in this tab)." : "";
    });
  }
  function draftKey(form) { return "kapstone.draft." + form.getAttribute("data-draft"); }
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = draftKey(form);
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
    if (!form.hasAttribute("data-entry")) { // posted normally: the page that answers shows what was kept
      form.addEventListener("submit", function () { try { sessionStorage.removeItem(key); } catch (e) { /* off */ } });
    }
  });
  document.querySelectorAll("form[data-entry]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      data.set("client_id", freshID());
      data.set("taken_at", new Date().toISOString());
      var section = form.closest("section[id]");
      lastSection = section ? section.id : "";
      var item = { id: data.get("client_id"), url: form.getAttribute("action").split("#")[0], body: data.toString() };
      var q = readQueue();
      q.push(item);
      writeQueue(q);
      // The entry is safe in the queue: clear the form for the next one.
      form.reset();
      if (form.hasAttribute("data-draft")) { try { sessionStorage.removeItem(draftKey(form)); } catch (e) { /* off */ } }
      var state = form.querySelector(".entry-state");
      if (state) { state.textContent = "Saving…"; }
      flush();
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
    var timer = setInterval(function () {
      fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
        if (r.status !== 204) { clearInterval(timer); } // over, or no longer allowed: let the sign-in time out
      }).catch(function () { /* offline: try again next time */ });
    }, 4 * 60000);
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

  // Check-ins: every answer is saved to the server as soon as it is chosen
  // (a risk answer raises its alert at once, even if the tab is then
  // closed: keepalive lets the request finish, and an answer still on its
  // way when the page goes is sent again as a beacon). Choices that are risk
  // answers carry data-risk (the server's rule): choosing one shows crisis
  // help at once, whatever the network does, saying the care team is not
  // alerted yet until the server's JSON reply says it is. A reply that is
  // not the server's JSON (a redirect, a sign-in page, an error page), a
  // 401 (signed out) or no reply at all is "not saved": the choice stays in
  // the form. "Next" saves and moves on without leaving the page. Without
  // JavaScript, Next and the buttons at the end post the form and save.
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var url = form.getAttribute("action");
    var state = form.querySelector(".autosave-state");
    var crisis = document.getElementById("autosave-crisis");
    var words = document.getElementById("autosave-crisis-words");
    var unsent = null; // the body of a save not yet answered
    var sent = false;  // the form itself was posted: nothing more to save from here
    var notYet = "We could not alert your care team yet.";
    var notSaved = "Not saved: you may be signed out or offline. Sign in again, then answer again: your answers were not saved.";
    function body() {
      var data = new URLSearchParams(new FormData(form));
      data.delete("step");
      data.set("action", "save");
      data.set("autosave", "1");
      return data.toString();
    }
    function say(text) { if (state) { state.textContent = text; } }
    function riskChosen() { return !!form.querySelector("input[data-risk]:checked"); }
    function showCrisis(text) {
      if (!crisis) { return; }
      if (words) { words.textContent = text; }
      crisis.hidden = false;
    }
    function failed(text) {
      say(text);
      if (riskChosen()) { showCrisis("We could not alert your care team yet: your answers were not saved."); }
    }
    // Saves may answer out of order (the server takes one patient's saves
    // in turn): only the newest save's answer may say what is stored, so a
    // slow earlier "saved" never hides a later failure, and an earlier
    // lower-urgency answer never replaces a later, more urgent one.
    var latest = 0;
    function save() {
      var b = body();
      var mine = ++latest;
      function newest() { return mine === latest; }
      unsent = b;
      return fetch(url, {
        method: "POST", credentials: "same-origin", keepalive: true, redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" }, body: b
      }).then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (r.type === "opaqueredirect" || r.redirected || !json) {
          if (unsent === b) { unsent = null; }
          if (newest()) { failed(notSaved); }
          return null;
        }
        return r.json().then(function (res) {
          if (unsent === b) { unsent = null; }
          if (!newest()) { return res; }
          if (r.status === 401 || !res || res.signed_out) {
            failed("You are signed out, so your answers were not saved. Sign in again, then answer again.");
            return res;
          }
          if (res.crisis) {
            showCrisis(res.message || notYet);
          } else if (riskChosen()) {
            showCrisis(notYet);
          }
          if (r.ok && res.saved) { say("Your answers so far are saved."); } else { failed("Not saved: use “Save and finish later” below."); }
          return res;
        }, function () { if (newest()) { failed(notSaved); } return null; });
      }).catch(function () {
        if (newest()) { failed("Not saved yet: check your connection, then use “Save and finish later” below."); }
      });
    }
    form.addEventListener("change", function (ev) {
      if (!ev.target || ev.target.type !== "radio") { return; }
      if (ev.target.hasAttribute("data-risk")) { showCrisis(notYet); } // at once, before any reply
      save();
    });
    form.querySelectorAll("button[name=step][data-target]").forEach(function (btn) {
      btn.addEventListener("click", function (ev) {
        ev.preventDefault();
        save();
        location.hash = btn.getAttribute("data-target");
      });
    });
    // The form's own post carries every answer: no beacon after it, which
    // would start a new draft once the check-in is sent.
    form.addEventListener("submit", function () { sent = true; unsent = null; });
    window.addEventListener("pagehide", function () {
      if (unsent && !sent && navigator.sendBeacon) {
        navigator.sendBeacon(url, new Blob([unsent], { type: "application/x-www-form-urlencoded" }));
      }
    });
  });

  // Clinical notes (issue 16): the draft is saved in the background 2
  // seconds after the clinician stops typing. "Saved 10:42" shows only
  // after the server answered 2xx with saved; anything else is "Not saved:
  // ..." and the text stays in the form. Each answer carries the draft's
  // new version, which the next save and the form's own buttons send. A
  // button pressed while a save is on its way waits for its answer. Once
  // signed out, "Save draft" posts the form, which the server carries
  // through sign-in. Without JavaScript, "Save draft" saves.
  document.querySelectorAll("form[data-note-autosave]").forEach(function (form) {
    var url = form.getAttribute("action").split("#")[0];
    var state = form.querySelector(".autosave-state");
    var version = form.querySelector("input[name=version]");
    var timer = null, busy = false, again = false, waiting = null;
    function say(text) { if (state) { state.textContent = text; } }
    function done() {
      busy = false;
      if (waiting) { var b = waiting; waiting = null; form.requestSubmit(b); return; }
      if (again) { again = false; save(); }
    }
    function save() {
      timer = null;
      if (busy) { again = true; return; }
      busy = true;
      var data = new URLSearchParams(new FormData(form));
      data.delete("attest");
      data.delete("action");
      data.set("autosave", "1");
      fetch(url, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" }, body: data.toString()
      }).then(function (r) {
        if ((r.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
          say("Not saved: the server did not answer as expected. Use “Save draft”; your text is still here.");
          return null;
        }
        return r.json().then(function (res) {
          if (r.ok && res && res.saved) {
            version.value = res.version;
            say("Saved " + res.at);
          } else if (res && res.signed_out) {
            say("Not saved: your session has ended. Press “Save draft”: you sign in again and your text is kept.");
          } else {
            say("Not saved: " + ((res && res.message) || "use “Save draft”."));
          }
        });
      }).catch(function () {
        say("Not saved: no connection. Your text is still here; use “Save draft” when you are back online.");
      }).then(done, done);
    }
    form.addEventListener("input", function () {
      say("Changes not saved yet");
      clearTimeout(timer);
      timer = setTimeout(save, 2000);
    });
    form.addEventListener("submit", function (ev) {
      clearTimeout(timer);
      timer = null;
      if (busy) { ev.preventDefault(); waiting = ev.submitter || null; }
    });
  });
  // A shared journal entry quoted into the note: the clinician's choice.
  document.querySelectorAll("button[data-quote]").forEach(function (btn) {
    var area = document.getElementById("section_" + btn.getAttribute("data-quote"));
    if (!area) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var text = area.value.replace(/\s+$/, "");
      area.value = (text ? text + "\n\n" : "") + btn.getAttribute("data-quote-text");
      area.dispatchEvent(new Event("input", { bubbles: true }));
      area.focus();
    });
  });

  // Skills (issue 17, part B): a range shows its number as it moves
  // (the number is in the page without JavaScript too, as saved).
  document.querySelectorAll("input[type=range][data-range-output]").forEach(function (input) {
    var out = document.getElementById(input.getAttribute("data-range-output"));
    if (!out) { return; }
    input.addEventListener("input", function () { out.textContent = input.value; });
  });

  // Navigation menus (people, issue 15): one open at a time; Escape or a
  // click elsewhere closes it. Without JavaScript each opens and closes by
  // its own summary.
  var navGroups = document.querySelectorAll("details.nav-group");
  navGroups.forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open) { return; }
      navGroups.forEach(function (o) { if (o !== d) { o.open = false; } });
    });
  });
  if (navGroups.length) {
    document.addEventListener("click", function (e) {
      navGroups.forEach(function (d) { if (d.open && !d.contains(e.target)) { d.open = false; } });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") { return; }
      navGroups.forEach(function (d) {
        if (d.open) { d.open = false; d.querySelector("summary").focus(); }
      });
    });
  }

  // Copy-link buttons: shown only where the clipboard can be written; the
  // link itself is always there to select by hand.
  // Form feedback (issue 15): an error summary shown after a post takes the
  // focus, so a screen reader reads it and the keyboard starts there. Its
  // links focus their field. (Without this, the page still lands at the
  // form's section by the action's fragment.)
  var summary = document.querySelector("[data-error-summary]");
  // Crisis help shown with the errors comes first: then the focus stays.
  if (summary && !document.querySelector(".card-crisis-soft[role=alert]")) {
    // After the load, when the browser has scrolled to the form's fragment
    // (which would otherwise take the focus back to the page).
    var focusSummary = function () { setTimeout(function () { summary.focus(); }, 0); };
    if (document.readyState === "complete") { focusSummary(); } else { window.addEventListener("load", focusSummary); }
    summary.addEventListener("click", function (ev) {
      var a = ev.target.closest("a[href^='#']");
      var field = a && document.getElementById(a.getAttribute("href").slice(1));
      if (field && field.focus) {
        ev.preventDefault();
        var open = field.closest("details");
        if (open) { open.open = true; }
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
    });
  }

  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    var input = document.getElementById(btn.getAttribute("data-copy"));
    var state = btn.closest(".field") && btn.closest(".field").querySelector("[data-copy-state]");
    if (!input || !navigator.clipboard) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (state) { state.textContent = btn.getAttribute("data-copied") || "Link copied."; }
      }, function () {
        input.select();
        if (state) { state.textContent = btn.getAttribute("data-copy-failed") || "Select the link and copy it."; }
      });
    });
  });
})();

// Issue 17 part C: the safety plan offline. On a signed-in patient's page
// (its navigation links to the plan) register the service worker that keeps
// the plan and the crisis page; on a page where nobody is signed in, delete
// that cache and remove the worker, so a signed-out phone keeps no copy.
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
  });
  if (!("serviceWorker" in navigator)) { return; }
  var signedIn = document.querySelector("form[action='/logout']");
  if (signedIn && document.querySelector("nav.sections a[href='/portal/safety-plan']")) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* no offline copy; the page still works */ });
  } else if (!signedIn) {
    var done = [];
    if (window.caches) {
      done.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("kapstone-safety-") === 0; }).map(function (k) { return caches.delete(k); }));
      }));
    }
    done.push(navigator.serviceWorker.getRegistrations().then(function (regs) {
      return Promise.all(regs.map(function (r) { return r.unregister(); }));
    }));
    Promise.all(done).then(function () { document.documentElement.setAttribute("data-offline-cleared", "1"); }, function () { /* nothing kept */ });
  }
  // The chaperone's page (issue 20): count down to the next check-in and
  // say when it is due. The server works out the same (and alerts the
  // clinician when one is missed); without JavaScript the page says when
  // it is due.
  document.querySelectorAll("[data-chaperone-due]").forEach(function (el) {
    // Times are the server's: the phone's own clock may be off.
    var due = Date.parse(el.getAttribute("data-chaperone-due"));
    var skew = Date.parse(el.getAttribute("data-chaperone-now")) - Date.now();
    if (isNaN(due) || isNaN(skew) || el.querySelector("strong.chaperone-now")) { return; }
    var card = el.closest(".chaperone-due"), told = false;
    function tick() {
      var left = Math.ceil((due - Date.now() - skew) / 60000);
      if (left > 0) {
        el.textContent = "Next check-in due in " + left + (left === 1 ? " minute" : " minutes") + " (at " + el.getAttribute("data-chaperone-at") + ").";
        return;
      }
      if (!told) {
        told = true;
        el.innerHTML = "";
        var strong = document.createElement("strong");
        strong.className = "chaperone-now";
        strong.textContent = "A check-in is due now.";
        el.appendChild(strong);
        el.appendChild(document.createTextNode(" Check on the patient and answer below."));
        if (card) { card.classList.add("chaperone-late"); }
        document.title = "Check-in due \u00b7 " + document.title;
        // A phone vibrates only for a page the person has touched.
        if (navigator.vibrate && navigator.userActivation && navigator.userActivation.hasBeenActive) { navigator.vibrate([300, 200, 300]); }
      }
    }
    tick();
    setInterval(tick, 5000);
  });
  // The dosing session page of a remote session with a live chaperone
  // link: ask every 15 seconds whether the chaperone asked for help, missed
  // a check-in or reported a concern, and say so at the top at once.
  var watch = document.getElementById("chaperone-watch");
  if (watch && window.fetch) {
    var seen = watch.getAttribute("data-seen"), timer;
    var words = { help: "The chaperone asked for help now.", missed: "The chaperone missed a check-in.", concern: "The chaperone reported a concern." };
    var poll = function () {
      fetch(watch.getAttribute("data-chaperone-alarm"), { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (res) {
        if (!res.ok) { clearInterval(timer); return null; }
        return res.json();
      }).then(function (a) {
        if (!a || !a.alarm || a.alarm === seen) { return; }
        seen = a.alarm;
        var box = document.getElementById("chaperone-alarm-live") || document.createElement("div");
        box.id = "chaperone-alarm-live";
        box.className = "hold-banner";
        box.setAttribute("role", "alert");
        box.innerHTML = "";
        var p = document.createElement("p"), strong = document.createElement("strong"), link = document.createElement("a");
        strong.textContent = words[a.kind] || words.concern;
        link.href = location.pathname + "#timeline";
        link.textContent = "Reload the session";
        p.appendChild(strong);
        p.appendChild(document.createTextNode(" Call them or the patient now. "));
        p.appendChild(link);
        box.appendChild(p);
        var top = document.querySelector(".dosing-status"); // at the top, in view
        if (top) { top.insertAdjacentElement("afterend", box); } else { watch.parentNode.insertBefore(box, watch); }
        if (document.title.indexOf("\u26a0 ") !== 0) { document.title = "\u26a0 " + document.title; }
      }, function () { /* offline: try again at the next tick */ });
    };
    timer = setInterval(poll, 15000);
  }
})();
