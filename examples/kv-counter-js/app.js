// A visit counter in JavaScript: every request increments a counter in the
// workload's key-value store (wasi:keyvalue, granted in workload.yaml) and
// answers with its new value. Instances are fresh per request: the count
// lives in the store, not in the component.
import { open } from 'wasi:keyvalue/store@0.2.0-draft';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';

addEventListener('fetch', (event) => {
  const bucket = open('counters');
  const n = increment(bucket, 'visits', 1n);
  event.respondWith(new Response(`visits: ${n}\n`, {
    headers: { 'content-type': 'text/plain' },
  }));
});
