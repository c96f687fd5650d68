// txplan serve: puts each live message next to its field, keeps focus after a list changes,
// and blanks the page after the idle time. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";

  function elementId(path) {
    return "f-" + path.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function parentPath(path) {
    var cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    return cut > 0 ? path.slice(0, cut) : "";
  }

  function findSlot(selector, path) {
    while (path) {
      var slot = document.querySelector(selector + '[data-slot="' + CSS.escape(path) + '"]');
      if (slot) return slot;
      path = parentPath(path);
    }
    return null;
  }

  function placeMessages() {
    var live = document.getElementById("live");
    if (!live) return;
    document.querySelectorAll(".field-msg").forEach(function (el) { el.replaceChildren(); });
    document.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    document.querySelectorAll('[data-kind="score-slot"], [data-kind="progress-slot"]').forEach(function (el) { el.replaceChildren(); });
    live.querySelectorAll("li[data-path]").forEach(function (item) {
      var slot = findSlot(".field-msg", item.dataset.path);
      if (!slot) return;
      var line = document.createElement("p");
      line.className = item.dataset.severity;
      line.textContent = item.dataset.message;
      slot.appendChild(line);
      var input = document.getElementById(slot.id.replace(/^msg-/, ""));
      if (input && item.dataset.severity === "error") input.setAttribute("aria-invalid", "true");
    });
    live.querySelectorAll("[data-place-at]").forEach(function (part) {
      var kind = part.dataset.kind.indexOf("progress") === 0 ? "progress-slot" : "score-slot";
      var slot = document.querySelector('[data-kind="' + kind + '"][data-slot="' + CSS.escape(part.dataset.placeAt) + '"]');
      if (slot) slot.appendChild(part);
    });
  }

  function focusAfterEdit() {
    var form = document.getElementById("editor-form");
    if (!form || !form.dataset.focus) return;
    var target = document.getElementById(elementId(form.dataset.focus));
    form.dataset.focus = "";
    if (!target) return;
    var input = target.matches("input, select, textarea, button") ? target : target.querySelector("input:not([type=hidden]), select, textarea");
    (input || target).focus();
  }

  function startIdleTimer() {
    var meta = document.querySelector('meta[name="txplan-idle-seconds"]');
    var seconds = meta ? parseInt(meta.content, 10) : 0;
    if (!seconds) return;
    var timer = null;
    function reset() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () {
        document.body.classList.add("blank");
        window.location.assign("/locked");
      }, seconds * 1000);
    }
    ["keydown", "mousedown", "input", "touchstart"].forEach(function (name) { document.addEventListener(name, reset, true); });
    reset();
  }

  document.addEventListener("DOMContentLoaded", function () {
    placeMessages();
    startIdleTimer();
    document.body.addEventListener("htmx:afterSettle", function () {
      placeMessages();
      focusAfterEdit();
    });
  });
})();
