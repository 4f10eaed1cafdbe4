"use strict";
// Sorting: click a column header of a `sortable` table; numbers sort by
// their `data-sort` key, text alphabetically, missing values last.
function sortKey(cell) {
  const key = cell.getAttribute("data-sort");
  return key === null ? null : Number(key);
}

function compareCells(a, b, index, direction) {
  const ca = a.cells[index];
  const cb = b.cells[index];
  const ka = sortKey(ca);
  const kb = sortKey(cb);
  if (ka !== null || kb !== null) {
    if (ka === null) return 1;
    if (kb === null) return -1;
    return direction * Math.sign(ka - kb);
  }
  return direction * ca.textContent.localeCompare(cb.textContent);
}

function makeSortable(table) {
  const headers = table.tHead.rows[0].cells;
  Array.from(headers).forEach(function (th, index) {
    th.setAttribute("aria-sort", "none");
    th.setAttribute("title", "Sort by " + th.textContent);
    th.addEventListener("click", function () {
      const direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.from(headers).forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort(function (a, b) { return compareCells(a, b, index, direction); });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
}

// Filtering: every word typed must appear in a row (or a comparison's
// device, model and recipes) for it to stay visible.
function applyFilter(text) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const keep = function (haystack) {
    const h = haystack.toLowerCase();
    return words.every(function (w) { return h.includes(w); });
  };
  document.querySelectorAll("table.filterable tbody tr").forEach(function (row) {
    row.classList.toggle("hidden", !keep(row.textContent));
  });
  document.querySelectorAll("article.group").forEach(function (group) {
    group.classList.toggle("hidden", !keep(group.getAttribute("data-filter") || ""));
  });
}

document.querySelectorAll("table.sortable").forEach(makeSortable);
const filter = document.getElementById("filter");
filter.addEventListener("input", function () { applyFilter(filter.value); });
document.documentElement.setAttribute("data-ready", "true");
