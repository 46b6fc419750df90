(function () {
  "use strict";
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function closest(node, selector) {
    while (node && node.nodeType === 1) {
      if (node.matches(selector)) { return node; }
      node = node.parentNode;
    }
    return null;
  }
  each(document.querySelectorAll(".lineage-map"), function (map) {
    var views = map.querySelectorAll(".map-view");
    var select = map.querySelector("select.map-domain");
    var fit = map.querySelector("button.map-fit");
    var controls = map.querySelector(".map-controls");
    function show(name) {
      var found = false;
      each(views, function (v) { if (v.getAttribute("data-view") === name) { found = true; } });
      if (!found) { return; }
      each(views, function (v) { v.hidden = v.getAttribute("data-view") !== name; });
      each(map.querySelectorAll("button[data-show]"), function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-show") === name));
      });
      if (select) { select.value = name.indexOf("domain-") === 0 ? name : ""; }
    }
    if (controls) { controls.hidden = false; }
    var asked = /^#view=([a-z0-9-]+)$/.exec(window.location.hash);
    if (asked) { show(asked[1]); }
    map.addEventListener("click", function (e) {
      var target = closest(e.target, "[data-show]");
      if (target && map.contains(target)) { e.preventDefault(); show(target.getAttribute("data-show")); }
    });
    map.addEventListener("keydown", function (e) {
      var target = e.target;
      if ((e.key === "Enter" || e.key === " ") && target.getAttribute && target.getAttribute("data-show")
          && target.tagName.toLowerCase() !== "button") {
        e.preventDefault();
        show(target.getAttribute("data-show"));
      }
    });
    if (select) {
      select.addEventListener("change", function () { show(select.value || map.getAttribute("data-opens")); });
    }
    if (fit) {
      fit.addEventListener("click", function () {
        var on = !map.classList.contains("fit");
        map.classList.toggle("fit", on);
        fit.setAttribute("aria-pressed", String(on));
      });
    }
    function clear() {
      each(map.querySelectorAll("svg.focus"), function (svg) { svg.classList.remove("focus"); });
      each(map.querySelectorAll(".hl"), function (el) { el.classList.remove("hl"); });
    }
    function highlight(node) {
      var svg = node.ownerSVGElement;
      var id = node.getAttribute("id");
      clear();
      if (!svg || !id) { return; }
      svg.classList.add("focus");
      node.classList.add("hl");
      each(svg.querySelectorAll('[data-from="' + id + '"], [data-to="' + id + '"]'), function (edge) {
        edge.classList.add("hl");
        var other = edge.getAttribute("data-from") === id ? edge.getAttribute("data-to") : edge.getAttribute("data-from");
        var end = svg.querySelector('[id="' + other + '"]');
        if (end) { end.classList.add("hl"); }
      });
    }
    function enter(e) {
      var node = closest(e.target, ".lmap .node");
      if (node) { highlight(node); }
    }
    function leave(e) {
      var node = closest(e.target, ".lmap .node");
      if (node && !(e.relatedTarget && node.contains(e.relatedTarget))) { clear(); }
    }
    var find = map.querySelector("input.map-find");
    var found = map.querySelector(".map-found");
    function search() {
      var query = find.value.trim().toLowerCase();
      if (!query) { return; }
      var best = null, bestScore = -1;
      each(map.querySelectorAll('.node[data-home="1"]'), function (node) {
        var id = node.getAttribute("data-product").toLowerCase();
        var view = closest(node, ".map-view");
        if (id.indexOf(query) < 0 || !view) { return; }
        var score = (id === query ? 2 : 0) + (view.getAttribute("data-view") === map.getAttribute("data-opens") ? 1 : 0);
        if (score > bestScore) { best = node; bestScore = score; }
      });
      var node = best;
      if (found) { found.textContent = node ? "" : "no product matches"; }
      if (!node) { return; }
      show(closest(node, ".map-view").getAttribute("data-view"));
      node.scrollIntoView({block: "center", inline: "center"});
      highlight(node);
      if (node.focus) { node.focus({preventScroll: true}); }
    }
    if (find) {
      find.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); search(); }
      });
    }
    map.addEventListener("mouseover", enter);
    map.addEventListener("mouseout", leave);
    map.addEventListener("focusin", enter);
    map.addEventListener("focusout", leave);
  });
})();
