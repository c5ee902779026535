"""Measurements of a page as the browser drew it (JavaScript run in the page by the browser tests):
what sticks out of a phone's screen, what covers code, and the contrast of every piece of text
computed from the rendered colours."""

from __future__ import annotations

# Elements whose box reaches past the right edge of the screen, or past a box that clips them,
# without sitting in something that scrolls sideways: content a phone cuts off (boxes clipped to
# nothing, like the phone's closed search box, are closed, not cut off). Content skipped
# by content-visibility is laid out for the measurement (asking for its box forces that).
SPILLS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const clips = el => {
    const s = getComputedStyle(el);
    return ["hidden", "clip"].includes(s.overflowX) || /paint|strict|content/.test(s.contain)
      || s.contentVisibility === "auto";
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const out = [];
  // An inline element that wraps reaches as far as its text does (its padding may not).
  const extent = el => {
    const box = el.getBoundingClientRect();
    if (getComputedStyle(el).display !== "inline" || !el.textContent.trim()) return box;
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter(r => r.width);
    return rects.length ? { width: box.width, height: box.height, left: Math.min(...rects.map(r => r.left)),
                            right: Math.max(...rects.map(r => r.right)) } : box;
  };
  for (const el of document.querySelectorAll(".md-main *, .md-header *")) {
    const r = extent(el);
    if (!r.width || !r.height) continue;
    let limit = width, inside = false, hidden = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a)) { inside = true; break; }
      if (clips(a)) {
        const box = a.getBoundingClientRect();
        hidden = hidden || !box.width || !box.height;  // a closed panel (the phone's search box)
        limit = Math.min(limit, box.right);
      }
    }
    // An element that starts past the limit is reported through the one that holds it.
    if (!inside && !hidden && r.left < limit && r.right > limit + 1)
      out.push(`${name(el)} ends at ${Math.round(r.right)} px (limit ${Math.round(limit)})`);
    if (out.length > 20) break;
  }
  return out;
}"""

# Blocks that scroll sideways, with the colour drawn at their right edge and in their middle,
# sampled in the top padding where no text is drawn (a cue shows as a difference).
SCROLLERS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && ["auto", "scroll"].includes(getComputedStyle(el).overflowX))
  .map(el => ({ name: el.tagName.toLowerCase() + "." + [...el.classList].join("."),
                attachment: getComputedStyle(el).backgroundAttachment }))"""

# Buttons drawn over code (Material's copy button, nbconvert's) that cover its text.
COVERED_CODE = """() => {
  const out = [];
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const button of document.querySelectorAll(".md-code__nav, .zeroclipboard-container")) {
    const box = button.getBoundingClientRect();
    if (!box.width) continue;
    const block = button.closest(".highlight, .jp-InputArea, pre");
    const code = block && block.querySelector("code, .highlight-ipynb pre");
    if (!code) continue;
    const clip = code.getBoundingClientRect();
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        const visible = { left: Math.max(r.left, clip.left), right: Math.min(r.right, clip.right),
                          top: r.top, bottom: r.bottom };
        if (visible.right > visible.left && hit(box, visible)) {
          out.push(`${button.className} covers "${node.textContent.trim().slice(0, 30)}"`);
          break;
        }
      }
      if (out.length > 10) return out;
    }
  }
  return out;
}"""

# WCAG 2.x contrast of every visible piece of text (and of the chosen tab's underline), from the
# colours the browser computed: text colour and opacity composed over the backgrounds behind it.
CONTRAST = """() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const over = (top, bottom) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const canvas = parse(getComputedStyle(document.body).backgroundColor)[3] > 0
    ? parse(getComputedStyle(document.body).backgroundColor) : [255, 255, 255, 1];
  function background(el) {
    const layers = [];
    for (let a = el; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      const c = parse(s.backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), canvas);
  }
  function opacity(el) {
    let o = 1;
    for (let a = el; a; a = a.parentElement) o *= Number(getComputedStyle(a).opacity);
    return o;
  }
  const name = el => el.tagName.toLowerCase() + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const low = [], seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("svg, script, style, [aria-hidden=true], .md-search__output, .md-tooltip2")) continue;
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    const s = getComputedStyle(el);
    if (s.clip !== "auto" || s.clipPath !== "none") continue;
    const bg = background(el);
    const fg = parse(s.color);
    const shown = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
    const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const got = ratio(shown, bg);
    if (got < need - 0.005)
      low.push(`${name(el)} "${node.textContent.trim().slice(0, 40)}": ${got.toFixed(2)} (needs ${need})`);
  }
  // A control's state drawn as a line (the chosen framework's underline): 3:1 for graphics.
  for (const label of document.querySelectorAll(".fw-input:checked + label")) {
    const s = getComputedStyle(label);
    if (s.borderBottomStyle === "none" || !label.checkVisibility()) continue;
    const got = ratio(over(parse(s.borderBottomColor), background(label)), background(label));
    if (got < 3) low.push(`chosen-tab underline: ${got.toFixed(2)} (needs 3)`);
    break;
  }
  return low;
}"""
