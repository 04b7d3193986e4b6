(function () {
  "use strict";
  var PAGE = 50;
  var list = document.getElementById("clusters");
  if (!list) { return; }
  var items = Array.prototype.slice.call(list.querySelectorAll("details.cluster"));
  var filter = document.getElementById("cluster-filter");
  var pager = document.getElementById("cluster-pager");
  var info = document.getElementById("cluster-info");
  var page = 0;
  function matching() {
    var q = filter ? filter.value.trim().toLowerCase() : "";
    return items.filter(function (el) { return !q || (el.getAttribute("data-search") || "").indexOf(q) !== -1; });
  }
  function show() {
    var shown = matching();
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) { page = pages - 1; }
    items.forEach(function (el) { el.hidden = true; });
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (el) { el.hidden = false; });
    info.textContent = shown.length + " of " + items.length + " clusters; page " + (page + 1) + " of " + pages;
    while (pager.firstChild) { pager.removeChild(pager.firstChild); }
    for (var i = 0; i < pages; i++) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = String(i + 1);
      b.disabled = i === page;
      b.setAttribute("data-page", String(i));
      pager.appendChild(b);
    }
  }
  pager.addEventListener("click", function (ev) {
    var p = ev.target.getAttribute && ev.target.getAttribute("data-page");
    if (p !== null && p !== undefined) { page = parseInt(p, 10); show(); list.scrollIntoView(); }
  });
  if (filter) { filter.addEventListener("input", function () { page = 0; show(); }); }
  document.documentElement.classList.add("js");
  show();
}());
