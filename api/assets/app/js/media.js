// The media library: upload (file picker or drag and drop, with progress), thumbnails, facts,
// delete.

import { del, get, query } from './api.js';
import { confirmDialog, h, replace } from './dom.js';
import { bytes, dateTime, seconds } from './format.js';
import { upload } from './upload.js';

/** A square preview: the image itself, or a label for a video. */
export function thumb(m) {
  if (m.kind === 'image') return h('img', { class: 'thumb', src: m.content_url, alt: m.file_name, loading: 'lazy' });
  return h('div', { class: 'thumb', role: 'img', 'aria-label': `Video ${m.file_name}` }, `▶ Video ${m.duration_ms ? seconds(m.duration_ms) : ''}`);
}

/** The whole library (pages of 100). */
export async function library() {
  const items = [];
  let cursor;
  do {
    const page = await get(`/media${query({ limit: 100, cursor })}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function facts(m) {
  const video = m.kind === 'video'
    ? ` · ${seconds(m.duration_ms || 0)} · ${m.frame_rate ? `${Math.round(m.frame_rate)} fps` : ''} ${m.video_codec || ''}${m.audio_codec ? `/${m.audio_codec}` : ''}`
    : '';
  return `${m.width}×${m.height} · ${bytes(m.size_bytes)}${video}`;
}

function item(m, reload) {
  const error = h('p', { class: 'error', role: 'alert' });
  const remove = h('button', { type: 'button', class: 'link' }, 'Delete');
  remove.addEventListener('click', async () => {
    if (!await confirmDialog({ title: `Delete ${m.file_name}?`, text: 'The file is removed from your library.', confirm: 'Delete' })) return;
    try {
      await del(`/media/${m.id}`);
      reload();
    } catch (e) {
      replace(error, `Not deleted: ${e.message}`);
      if (e.postId) error.append(' ', h('a', { href: `/app/posts/${e.postId}` }, 'Open that post'));
    }
  });
  return h('li', { dataset: { mediaId: m.id } }, thumb(m),
    h('div', { class: 'meta' }, h('strong', {}, m.file_name), h('br'),
      h('span', { class: 'facts' }, facts(m)), h('br'),
      h('span', { class: 'muted' }, dateTime(m.created_at)), ' ', remove, error));
}

export async function render(main, { flash }) {
  const grid = h('ul', { class: 'media-grid', 'aria-label': 'Your media' });
  const reload = async () => {
    const items = await library();
    replace(grid, items.length ? items.map((m) => item(m, reload)) : h('li', { class: 'meta' }, 'No media yet: upload an image or a video.'));
  };
  const uploads = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const summary = h('p', { class: 'muted', role: 'status' });
  // Every file of a pick or a drop gets its row at once (waiting, then its progress, then its
  // result), and the rows stay until the next batch; the summary counts the outcomes.
  const send = async (files) => {
    if (!files.length) return;
    const rows = files.map((file) => {
      const bar = h('progress', { max: 100, value: 0, 'aria-label': `Uploading ${file.name}` });
      const status = h('span', {}, `${file.name} (${bytes(file.size)}): waiting`);
      return { file, bar, status, row: h('li', {}, status, bar) };
    });
    replace(uploads, rows.map((r) => r.row));
    summary.textContent = `Uploading ${files.length} ${files.length === 1 ? 'file' : 'files'}…`;
    let done = 0;
    let refused = 0;
    for (const { file, bar, status } of rows) {
      status.textContent = `${file.name} (${bytes(file.size)}): uploading`;
      try {
        await upload(file, (f) => { bar.value = Math.round(f * 100); });
        bar.value = 100;
        status.textContent = `${file.name}: uploaded`;
        done += 1;
        reload();
      } catch (e) {
        refused += 1;
        bar.remove();
        replace(status, h('span', { class: 'error' }, `${file.name}: not uploaded. ${e.message}`));
      }
    }
    summary.textContent = refused
      ? `${done} of ${files.length} uploaded; ${refused} not uploaded (see why above).`
      : `${done} of ${files.length} uploaded.`;
  };
  const picker = h('input', { type: 'file', id: 'media-file', multiple: true, accept: 'image/jpeg,image/png,image/webp,video/mp4,video/quicktime' });
  picker.addEventListener('change', () => { send([...picker.files]); picker.value = ''; });
  const zone = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', {}, 'Drag images and videos here, or'),
    h('label', { for: 'media-file' }, 'Choose files'), picker,
    h('p', { class: 'muted' }, 'JPEG, PNG or WebP images (up to 8 MB as JPEG) and MP4 or MOV videos (up to 300 MB).'));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    send([...e.dataTransfer.files]);
  });
  main.append(h('h1', {}, 'Media library'),
    h('section', { class: 'card', 'aria-label': 'Upload' }, zone, uploads, summary),
    grid);
  await reload().catch((e) => flash('bad', e.message));
}
