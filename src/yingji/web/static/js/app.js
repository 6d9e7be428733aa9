// Small progressive enhancements; every page works without them.
document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-toggle]");
  if (toggle) {
    var target = document.getElementById(toggle.getAttribute("data-toggle"));
    if (target) {
      var open = target.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  }
  var twisty = event.target.closest("[data-expand]");
  if (twisty) {
    var kids = twisty.parentElement.querySelector(".kids");
    var expanded = twisty.getAttribute("aria-expanded") === "true";
    if (expanded) {
      event.preventDefault();
      event.stopImmediatePropagation();
      kids.innerHTML = "";
    }
    twisty.setAttribute("aria-expanded", expanded ? "false" : "true");
    twisty.textContent = expanded ? "▸" : "▾";
  }
}, true);
