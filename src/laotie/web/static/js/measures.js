// The case form's measure rows: each shows only the fields its kind needs (days, percent kept, fee).
// Without this script every field shows; the server reads only the ones the chosen kind uses.
function fit(row) {
  const kind = row.querySelector("[data-measure-kind]")?.value || "";
  for (const field of row.querySelectorAll("[data-needs]")) {
    field.hidden = !field.dataset.needs.split(" ").includes(kind);
  }
}

for (const row of document.querySelectorAll("[data-measure]")) {
  fit(row);
  row.querySelector("[data-measure-kind]")?.addEventListener("change", () => fit(row));
}
