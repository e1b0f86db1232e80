// A small MP4 whose boxes state a size, length, frame rate and codecs (H.264 video, AAC
// audio). The api reads containers and never decodes video, so the sample data is filler.

const u32 = (...values) => Buffer.concat(values.map((v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; }));
const u16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const box = (type, ...body) => { const inner = Buffer.concat(body); return Buffer.concat([u32(inner.length + 8), Buffer.from(type, 'latin1'), inner]); };
const IDENTITY = u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000);

function track(handler, id, m, entry, samples) {
  const video = handler === 'vide';
  const tkhd = Buffer.concat([u32(3, 0, 0, id, 0, m.durationMs, 0, 0, 0, 0), IDENTITY,
    u32(video ? m.width << 16 : 0, video ? m.height << 16 : 0)]);
  const mdhd = u32(0, 0, 0, 1000, m.durationMs, 0x55c40000);
  const hdlr = Buffer.concat([u32(0, 0), Buffer.from(handler, 'latin1'), u32(0, 0, 0), Buffer.from('Handler\0')]);
  const stsd = Buffer.concat([u32(0, 1), entry]);
  const stts = u32(0, 1, samples, Math.floor(m.durationMs / Math.max(samples, 1)));
  const minf = box('stbl', box('stsd', stsd), box('stts', stts));
  return box('trak', box('tkhd', tkhd), box('mdia', box('mdhd', mdhd), box('hdlr', hdlr), box('minf', minf)));
}

/** An MP4: `{width, height, durationMs, fps, mediaBytes}` (defaults: 1080x1920, 10 s, 30 fps). */
export function mp4({ width = 1080, height = 1920, durationMs = 10000, fps = 30, mediaBytes = 256 * 1024 } = {}) {
  const m = { width, height, durationMs };
  const ftyp = Buffer.concat([Buffer.from('isom'), u32(0x200), Buffer.from('isomiso2avc1mp41')]);
  const mvhd = Buffer.concat([u32(0, 0, 0, 1000, durationMs, 0x10000), Buffer.from([1, 0]), Buffer.alloc(10), IDENTITY, Buffer.alloc(24), u32(3)]);
  const visual = Buffer.concat([Buffer.alloc(6), Buffer.from([0, 1]), Buffer.alloc(16), u16(width), u16(height),
    u32(0x480000, 0x480000, 0), Buffer.from([0, 1]), Buffer.alloc(32), Buffer.from([0, 0x18, 0xff, 0xff])]);
  const sound = Buffer.concat([Buffer.alloc(6), Buffer.from([0, 1]), Buffer.alloc(8), Buffer.from([0, 2, 0, 16, 0, 0, 0, 0]), u32(44100 << 16)]);
  const frames = Math.floor(durationMs * fps / 1000);
  const moov = box('moov', box('mvhd', mvhd),
    track('vide', 1, m, box('avc1', visual), frames),
    track('soun', 2, m, box('mp4a', sound), Math.floor(durationMs * 44 / 1024) + 1));
  return Buffer.concat([box('ftyp', ftyp), moov, box('mdat', Buffer.alloc(mediaBytes, 0x5a))]);
}
