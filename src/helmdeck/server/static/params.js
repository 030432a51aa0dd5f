// Conditionally required parameters of the install forms (a file: the pages' Content-Security-Policy
// allows no inline script). A field whose wrapper carries data-required-when (the parameter's
// requiredWhen: a list of {name: [values] | null}) is required only while one condition holds, so the
// browser itself refuses to send the form without it; the server checks the same conditions anyway.
// A field whose conditions all compare values (if/then) is hidden and disabled while none holds: it
// keeps what was typed for when it comes back, and a disabled field is neither checked nor sent.
(function () {
  "use strict";

  function fieldOf(form, name) {
    return form.querySelector('.param[data-param="' + CSS.escape(name) + '"]');
  }

  // What the server will get for the parameter: as _form_parameters reads the form, with the
  // default for an empty field; undefined when it gets nothing.
  function valueOf(form, name) {
    var field = fieldOf(form, name);
    if (!field) return undefined;
    var fallback = field.dataset.default !== undefined ? JSON.parse(field.dataset.default) : undefined;
    var controls = Array.prototype.filter.call(
      form.querySelectorAll('[name="param.' + CSS.escape(name) + '"]'),
      function (el) { return !el.disabled; }
    );
    if (field.dataset.type === "boolean") {
      // an unchecked (or disabled) box is sent as false
      return controls.length > 0 && controls[0].checked;
    }
    if (field.dataset.type === "multichoice") {
      var picked = controls.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
      return picked.length ? picked : fallback;
    }
    if (!controls.length || controls[0].value === "") return fallback;
    return controls[0].value;
  }

  function holds(form, condition) {
    return Object.keys(condition).every(function (name) {
      var value = valueOf(form, name);
      if (value === undefined) return false;
      var allowed = condition[name];
      // typed values and the text of a field compare as text: 3 and "3", true and "true"
      return allowed === null || allowed.some(function (a) { return String(a) === String(value); });
    });
  }

  // Apply every conditional field's state once; true when something changed (a hidden field may
  // be what another condition looks at, so the caller repeats until nothing does).
  function applyOnce(form) {
    var changed = false;
    form.querySelectorAll(".param[data-required-when]").forEach(function (field) {
      var conditions = JSON.parse(field.dataset.requiredWhen);
      var on = conditions.some(function (c) { return holds(form, c); });
      var byValue = conditions.every(function (c) {
        return Object.keys(c).every(function (name) { return c[name] !== null; });
      });
      var hide = byValue && !on;
      if (field.hidden !== hide) changed = true;
      field.hidden = hide;
      field.dataset.requiredNow = on ? "true" : "false";
      // a default satisfies the condition, and a box cannot be "required" as the server means it
      var must = on && field.dataset.default === undefined;
      field.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (el.disabled !== hide) changed = true;
        el.disabled = hide;
        if (el.type !== "checkbox") el.required = must;
      });
      field.querySelectorAll("[data-when-star]").forEach(function (star) { star.hidden = !must; });
    });
    return changed;
  }

  function apply(form) {
    for (var i = 0; i < 10 && applyOnce(form); i++) { /* until stable */ }
  }

  function follow(event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    if (form && form.querySelector(".param[data-required-when]")) apply(form);
  }

  document.addEventListener("input", follow);
  document.addEventListener("change", follow);
  window.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector(".param[data-required-when]")) apply(form);
    });
  });
})();
