// Uploads one file with XMLHttpRequest, which (unlike fetch) reports upload progress.

import { ApiError } from './api.js';

/** Uploads `file`; `onProgress(fraction)` as bytes leave; resolves to the stored media. */
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/media');
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { message: 'The upload was interrupted. Check your connection and try again.' })));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
