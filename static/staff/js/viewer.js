// The document viewer: one image of a claim at full size over the page, with the other
// images of the claim one click (or arrow key) away. Escape or Close returns to the claim.
import { h } from "../../js/dom.js";
import { pick, t } from "../../js/i18n.js";

let open = null; // {el, onKey, restore}

export function closeViewer() {
  if (!open) return;
  document.removeEventListener("keydown", open.onKey);
  open.el.remove();
  document.body.classList.remove("viewer-open");
  const restore = open.restore;
  open = null;
  if (restore && restore.isConnected) restore.focus();
}

// docs: the claim's image documents; index: the one to show first.
export function openViewer(docs, index) {
  closeViewer();
  let i = Math.max(0, Math.min(index, docs.length - 1));
  let fit = true;
  const restore = document.activeElement;
  const title = h("h2", { class: "viewer-title", id: "viewer-title", testid: "viewer-title" });
  const counter = h("span", { class: "viewer-counter", testid: "viewer-counter" });
  const img = h("img", { class: "viewer-img fit", testid: "viewer-image", alt: "" });
  const stage = h("div", { class: "viewer-stage", testid: "viewer-stage" }, img);
  const original = h("a", { class: "btn btn-ghost", testid: "viewer-original", target: "_blank",
    rel: "noopener", text: t("s_viewer_original") });
  const zoom = h("button", { type: "button", class: "btn btn-ghost", testid: "viewer-zoom",
    "aria-pressed": "false", text: t("s_viewer_actual_size"),
    onclick: () => {
      fit = !fit;
      img.classList.toggle("fit", fit);
      zoom.setAttribute("aria-pressed", fit ? "false" : "true");
      zoom.textContent = t(fit ? "s_viewer_actual_size" : "s_viewer_fit");
    } });
  const prev = h("button", { type: "button", class: "btn btn-ghost", testid: "viewer-prev",
    text: t("s_viewer_prev"), onclick: () => show(i - 1) });
  const next = h("button", { type: "button", class: "btn btn-ghost", testid: "viewer-next",
    text: t("s_viewer_next"), onclick: () => show(i + 1) });
  const close = h("button", { type: "button", class: "btn btn-ghost", testid: "viewer-close",
    text: t("s_viewer_close"), onclick: closeViewer });

  function show(n) {
    if (n < 0 || n >= docs.length) return;
    i = n;
    const doc = docs[i];
    title.textContent = pick(doc.kind_name) + " · " + doc.filename;
    counter.textContent = t("s_viewer_counter", { i: i + 1, n: docs.length });
    img.alt = pick(doc.kind_name) + " " + doc.filename;
    img.setAttribute("data-doc-id", doc.id);
    img.removeAttribute("src");
    let tries = 0;
    // one more try after a pause (a busy development database may refuse a read at once)
    img.onerror = () => {
      if (tries >= 2 || img.getAttribute("data-doc-id") !== doc.id) return;
      tries += 1;
      setTimeout(() => {
        if (img.getAttribute("data-doc-id") !== doc.id) return;
        img.removeAttribute("src");
        img.src = doc.url;
      }, 400 * tries);
    };
    img.src = doc.url;
    original.href = doc.url;
    prev.disabled = i === 0;
    next.disabled = i === docs.length - 1;
    stage.scrollTop = 0;
    stage.scrollLeft = 0;
  }

  const el = h("div", { class: "viewer", role: "dialog", "aria-modal": "true", "aria-labelledby": "viewer-title",
    testid: "viewer" },
    h("div", { class: "viewer-bar" }, title, counter,
      h("span", { class: "viewer-tools" }, prev, next, zoom, original, close)),
    stage);
  // a click on the dark background (not on the image) closes, as on most viewers
  stage.addEventListener("click", (ev) => { if (ev.target === stage) closeViewer(); });
  const onKey = (ev) => {
    if (ev.key === "Escape") closeViewer();
    else if (ev.key === "ArrowLeft") show(i - 1);
    else if (ev.key === "ArrowRight") show(i + 1);
    else if (ev.key === "Tab") trapFocus(ev, el);
  };
  document.addEventListener("keydown", onKey);
  document.body.appendChild(el);
  document.body.classList.add("viewer-open");
  open = { el: el, onKey: onKey, restore: restore };
  show(i);
  close.focus();
}

function trapFocus(ev, el) {
  const items = Array.prototype.filter.call(el.querySelectorAll("button, a[href]"), (x) => !x.disabled);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (ev.shiftKey && document.activeElement === first) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && document.activeElement === last) {
    ev.preventDefault();
    first.focus();
  }
}

