// Switchyard console: the destination combobox (typeahead over an integration's catalog). htmx fills the listbox
// as the merchant types; this picks an option by click or keyboard. Everything else is plain HTML and htmx.
(function () {
  "use strict";

  function parts(element) {
    var combo = element.closest("[data-combo]");
    if (!combo) return null;
    return { combo: combo, input: combo.querySelector("[role=combobox]"), list: combo.querySelector("[role=listbox]") };
  }

  function options(list) { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }

  function open(p, isOpen) {
    p.list.classList.toggle("open", isOpen);
    p.input.setAttribute("aria-expanded", isOpen ? "true" : "false");
    if (!isOpen) p.input.removeAttribute("aria-activedescendant");
  }

  function choose(p, option) {
    p.input.value = option.getAttribute("data-value");
    var typed = p.combo.parentElement.querySelector("input[name=typed]");
    if (typed) typed.checked = false;
    open(p, false);
    p.input.focus();
  }

  function activate(p, step) {
    var all = options(p.list);
    if (all.length === 0) return;
    var current = all.indexOf(p.list.querySelector("[aria-selected=true]"));
    var next = Math.max(0, Math.min(all.length - 1, current + step));
    all.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
    p.input.setAttribute("aria-activedescendant", all[next].id);
    all[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts(event.target);
    if (p && event.target === p.list) {
      open(p, p.list.children.length > 0 && document.activeElement === p.input && !p.combo.hasAttribute("data-dismissed"));
    }
  });

  // Escape keeps the list closed until the merchant types again.
  document.addEventListener("input", function (event) {
    var p = event.target.matches && event.target.matches("[role=combobox]") ? parts(event.target) : null;
    if (p) p.combo.removeAttribute("data-dismissed");
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[role=option]");
    var p = option && parts(option);
    if (p) { event.preventDefault(); choose(p, option); }
  });

  document.addEventListener("keydown", function (event) {
    var p = event.target.matches && event.target.matches("[role=combobox]") ? parts(event.target) : null;
    if (!p) return;
    if (event.key === "ArrowDown") { event.preventDefault(); open(p, true); activate(p, 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); activate(p, -1); }
    else if (event.key === "Escape") { p.combo.setAttribute("data-dismissed", ""); open(p, false); }
    else if (event.key === "Enter" && p.list.classList.contains("open")) {
      var active = p.list.querySelector("[aria-selected=true]");
      if (active) { event.preventDefault(); choose(p, active); }
    }
  });

  document.addEventListener("focusout", function (event) {
    var p = event.target.matches && event.target.matches("[role=combobox]") ? parts(event.target) : null;
    if (p) setTimeout(function () { open(p, false); }, 150);
  });
})();
