// The composer's preview: the post drawn as Instagram shows it. Feed media at its own shape
// within Instagram's 4:5 to 1.91:1 (a carousel takes its first item's for all), cropped like
// Instagram crops; a carousel one item at a time (buttons, arrow keys, swipe); reels and stories
// in a 9:16 frame; the caption cut as the feed cuts it, with "more".

import { h, replace } from './dom.js';

/** Feed media's narrowest (4:5) and widest (1.91:1) width / height. */
const FEED_RATIO = { min: 0.8, max: 1.91 };
/** Where the feed cuts a caption: after this many characters or at the second line break. */
const CAPTION_CUT = 125;
const SWIPE_PX = 40;

const ratioOf = (m) => (m.width && m.height ? m.width / m.height : 1);
const clamp = (r) => Math.min(FEED_RATIO.max, Math.max(FEED_RATIO.min, r));
const shape = (r) => `${Math.round(r * 100) / 100}:1`;

/** The caption as the feed first shows it (null when it shows whole). */
function cutCaption(text) {
  const chars = [...text];
  const breaks = chars.reduce((at, c, i) => (c === '\n' ? [...at, i] : at), []);
  const cut = Math.min(CAPTION_CUT, breaks.length > 1 ? breaks[1] : Infinity);
  return chars.length > cut ? chars.slice(0, cut).join('').trimEnd() : null;
}

/** The image or (muted, still) video of `m`, filling its frame. */
function visual(m) {
  if (m.kind === 'video') {
    const video = h('video', { src: m.content_url, muted: true, preload: 'metadata', playsinline: true, 'aria-label': `Video ${m.file_name}` });
    video.muted = true; // the attribute alone only sets the default
    return video;
  }
  return h('img', { src: m.content_url, alt: `Picture ${m.file_name}`, draggable: 'false' });
}

/** A frame of width / height `ratio` holding `content`. */
function frame(ratio, ...content) {
  const box = h('div', { class: 'ig-frame' }, ...content);
  box.style.aspectRatio = String(ratio);
  return box;
}

/** One item at a time with "Previous" / "Next", "2 of 5", dots, arrow keys and swipes. */
function carousel(items, ratio) {
  let at = 0;
  const stage = frame(ratio);
  const prev = h('button', { type: 'button', class: 'secondary' }, 'Previous');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Next');
  const count = h('span', { class: 'ig-count', 'aria-live': 'polite' });
  const dots = h('span', { class: 'ig-dots', 'aria-hidden': 'true' });
  const show = (i) => {
    at = Math.max(0, Math.min(items.length - 1, i));
    replace(stage, visual(items[at]));
    count.textContent = `${at + 1} of ${items.length}`;
    replace(dots, items.map((_, j) => h('span', { class: j === at ? 'on' : '' })));
    const focused = document.activeElement;
    prev.disabled = at === 0;
    next.disabled = at === items.length - 1;
    if (focused === prev && prev.disabled) next.focus();
    if (focused === next && next.disabled) prev.focus();
  };
  prev.addEventListener('click', () => show(at - 1));
  next.addEventListener('click', () => show(at + 1));
  let downX = null;
  stage.addEventListener('pointerdown', (e) => {
    downX = e.clientX;
    stage.setPointerCapture(e.pointerId);
  });
  stage.addEventListener('pointerup', (e) => {
    const dx = downX === null ? 0 : e.clientX - downX;
    downX = null;
    if (Math.abs(dx) > SWIPE_PX) show(at + (dx < 0 ? 1 : -1));
  });
  const box = h('div', { class: 'ig-carousel', role: 'group', 'aria-roledescription': 'carousel', 'aria-label': 'Carousel items' },
    stage, h('div', { class: 'ig-nav' }, prev, count, next), dots);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      show(at + (e.key === 'ArrowRight' ? 1 : -1));
    }
  });
  show(0);
  return box;
}

/** The caption with the feed's cut and a "more" / "less" button. */
function captionLine(username, text, state) {
  const short = cutCaption(text);
  const line = h('p', { class: 'ig-caption' }, h('strong', {}, username), ' ');
  const toggle = (expanded) => h('button', { type: 'button', class: 'link', 'aria-expanded': String(expanded),
    onclick: () => {
      state.expanded = !expanded;
      const redrawn = captionLine(username, text, state);
      line.replaceWith(redrawn);
      redrawn.querySelector('button').focus();
    } }, expanded ? 'less' : 'more');
  if (short === null) line.append(text);
  else if (state.expanded) line.append(text, ' ', toggle(true));
  else line.append(`${short}… `, toggle(false));
  return line;
}

/** The preview section; `draw({kind, items, cover, caption, username})` redraws it. */
export function preview() {
  const body = h('div', { class: 'ig-post' });
  const notes = h('ul', { class: 'preview-notes' });
  const section = h('section', { class: 'card preview', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title' }, 'Preview'), body, notes);
  const captionState = { expanded: false };
  let lastCaption = null;

  const draw = ({ kind, items, cover, caption, username }) => {
    if (caption !== lastCaption) captionState.expanded = false;
    lastCaption = caption;
    const name = username || 'your_account';
    const warnings = [];
    const said = [];
    let media;
    if (!items.length) {
      media = frame(1, h('p', { class: 'ig-empty' }, 'Choose media to see the preview'));
    } else if (kind === 'reel' || kind === 'story') {
      const shown = kind === 'reel' && cover ? cover : items[0];
      media = frame(9 / 16, visual(shown));
      if (kind === 'reel') said.push(cover ? `Cover: ${cover.file_name}.` : 'Instagram picks the cover frame.');
      else said.push('Stories have no caption: the caption is not shown.');
    } else {
      const ratio = clamp(ratioOf(items[0]));
      items.forEach((m, i) => {
        const own = ratioOf(m);
        const framed = kind === 'carousel' ? ratio : clamp(own);
        if (own < FEED_RATIO.min || own > FEED_RATIO.max) {
          const outside = `${m.file_name} is ${shape(own)}, outside Instagram's 4:5 to 1.91:1`;
          // Scheduling refuses such a picture; a video is cropped by Instagram.
          warnings.push(m.kind === 'image'
            ? `${outside}: scheduling refuses it, crop it first (shown here cut to ${shape(framed)}).`
            : `${outside}: Instagram will crop it to ${shape(framed)}.`);
        } else if (i > 0 && Math.abs(own - framed) > 0.01) {
          warnings.push(`${m.file_name} is ${shape(own)}: Instagram will crop it to the first item's ${shape(framed)}.`);
        }
      });
      media = kind === 'carousel' ? carousel(items, ratio) : frame(ratio, visual(items[0]));
    }
    replace(body,
      h('div', { class: 'ig-head' }, h('span', { class: 'ig-avatar', 'aria-hidden': 'true' }), h('strong', {}, `@${name}`)),
      media,
      kind === 'story' || !caption ? null : captionLine(name, caption, captionState));
    said.push('First comments are not supported: put hashtags in the caption.');
    replace(notes, warnings.map((w) => h('li', { class: 'warn' }, w)), said.map((s) => h('li', {}, s)));
  };
  return { section, draw };
}
