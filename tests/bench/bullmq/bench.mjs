// BullMQ's no-op throughput, the peer figure that scripts/bench-queue prints beside the product's.
//
//   node bench.mjs --jobs 100000 --concurrency 64 [--redis redis://127.0.0.1:6379] [--prefix P]
//
// Enqueues the jobs first (addBulk, 1,000 a call), then runs one Worker in this process with the
// given concurrency and a handler that does nothing. Jobs are removed on completion, as a no-op
// job's result is worth nothing. The rate counts from the first job started to the last one
// completed. Prints one line of key=value pairs, with the CPU Redis used from the worker's start
// to the last completion (`INFO cpu`), per job and as a share of one core over the counted time;
// the queue's keys are removed afterwards.
import { readFileSync } from 'node:fs';

import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const jobs = Number(arg('--jobs', '100000'));
const concurrency = Number(arg('--concurrency', '64'));
const redisUrl = arg('--redis', process.env.AISTUDIO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = arg('--prefix', `bench-bullmq-${process.pid}`);
const name = 'bench-noop';
const BATCH = 1000;
const TIMEOUT_MS = 300_000;

const connect = () => new IORedis(redisUrl, { maxRetriesPerRequest: null });
const version = JSON.parse(
  readFileSync(new URL('./node_modules/bullmq/package.json', import.meta.url)),
).version;

const queue = new Queue(name, { connection: connect(), prefix });
const enqueueStarted = performance.now();
for (let n = 0; n < jobs; n += BATCH) {
  const batch = [];
  for (let i = n; i < Math.min(n + BATCH, jobs); i++) {
    batch.push({ name: 'noop', data: { n: i }, opts: { removeOnComplete: true, removeOnFail: true } });
  }
  await queue.addBulk(batch);
}
const enqueueSecs = (performance.now() - enqueueStarted) / 1000;
const waiting = await queue.getWaitingCount();
if (waiting !== jobs) {
  throw new Error(`${waiting} of ${jobs} jobs waiting after the enqueue`);
}

// CPU seconds Redis has used since it started (all its threads, user and system).
const probe = connect();
async function redisCpuSecs() {
  const info = await probe.info('cpu');
  const field = (name) => Number(info.match(new RegExp(`^${name}:([0-9.]+)`, 'm'))?.[1]);
  const secs = field('used_cpu_sys') + field('used_cpu_user');
  if (!Number.isFinite(secs)) {
    throw new Error('INFO cpu without used_cpu_sys and used_cpu_user');
  }
  return secs;
}
const redisCpuBefore = await redisCpuSecs();

let firstStarted = null;
let completed = 0;
let failed = 0;
let rssPeak = process.memoryUsage().rss;
const rssTimer = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 100);

const done = new Promise((resolve, reject) => {
  const timeout = setTimeout(
    () => reject(new Error(`only ${completed} of ${jobs} jobs completed after ${TIMEOUT_MS / 1000} s`)),
    TIMEOUT_MS,
  );
  const worker = new Worker(
    name,
    async () => {
      firstStarted ??= performance.now();
    },
    { connection: connect(), prefix, concurrency },
  );
  worker.on('completed', () => {
    completed += 1;
    if (completed + failed === jobs) {
      clearTimeout(timeout);
      resolve({ finished: performance.now(), worker });
    }
  });
  worker.on('failed', () => {
    failed += 1;
  });
  worker.on('error', (err) => reject(err));
});

const { finished, worker } = await done;
clearInterval(rssTimer);
const secs = (finished - firstStarted) / 1000;
const redisCpu = (await redisCpuSecs()) - redisCpuBefore;
await probe.quit();
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
if (failed > 0) {
  throw new Error(`${failed} of ${jobs} jobs failed`);
}
process.stdout.write(
  `bullmq=${version} jobs=${jobs} processes=1 concurrency=${concurrency} enqueue=${enqueueSecs.toFixed(2)}s ` +
    `total=${secs.toFixed(2)}s throughput=${Math.round(jobs / secs)} jobs/s rss_peak=${Math.round(rssPeak / 1048576)} MiB ` +
    `redis_cpu=${redisCpu.toFixed(2)}s redis_busy=${Math.round((redisCpu / secs) * 100)}% ` +
    `redis_us_per_job=${((redisCpu / jobs) * 1e6).toFixed(1)}\n`,
);
process.exit(0);
