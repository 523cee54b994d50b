// A tiny DOM builder: elements via createElement, text via textContent.
// No innerHTML and no style attributes (the Content-Security-Policy forbids them).

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach((name) => {
      const value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name === "testid") el.setAttribute("data-testid", value);
      else if (name.slice(0, 2) === "on" && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else if (name === "value") el.value = value;
      else if (name === "checked") el.checked = !!value;
      else if (value === true) el.setAttribute(name, "");
      else el.setAttribute(name, String(value));
    });
  }
  append(el, children);
  return el;
}

function append(el, children) {
  children.forEach((child) => {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) append(el, child);
    else if (typeof child === "object") el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  });
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

// A 24×24 stroke icon from path data (decorative: hidden from screen readers).
export function icon(pathData) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", pathData);
  svg.appendChild(path);
  return svg;
}
