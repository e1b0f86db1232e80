// node:assert with the names the specs read best with.

import assert from 'node:assert/strict';

export const expect = {
  equal: assert.equal,
  ok: assert.ok,
  match: assert.match,
  deepEqual: assert.deepEqual,
};
