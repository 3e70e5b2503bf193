// A "Print" button: the page's print stylesheet leaves the header, filters and buttons out.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
