// Caption counters, counted as Instagram (and the API) count them: characters are Unicode
// scalar values; a tag is `#`/`@` followed by a word character and not preceded by one.

export const LIMITS = { characters: 2200, hashtags: 30, mentions: 20 };

const WORD = /[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}_]/u;

export function countTags(text, sigil) {
  const chars = [...text];
  let count = 0;
  chars.forEach((c, i) => {
    if (c === sigil && i + 1 < chars.length && WORD.test(chars[i + 1]) && !(i > 0 && WORD.test(chars[i - 1]))) count += 1;
  });
  return count;
}

export function captionCounts(text) {
  return { characters: [...text].length, hashtags: countTags(text, '#'), mentions: countTags(text, '@') };
}
