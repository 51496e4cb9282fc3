import { greet } from "./greet.js";

document.addEventListener("DOMContentLoaded", () => {
  const note = document.querySelector(".note");
  if (note) {
    note.textContent = greet("embedded assets");
  }
});
