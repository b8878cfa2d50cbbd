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
})();
